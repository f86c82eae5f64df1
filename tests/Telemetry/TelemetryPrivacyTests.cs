using System.Globalization;
using Serverless.Core.Dispatch;
using Serverless.Testing;
using Serverless.Tests.Dispatch;
using Serverless.Tests.Locks;
using Serverless.Tests.Sessions;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Telemetry;

/// <summary>
/// Session ids and principals are bearer credentials and personal data; lock owners with tokens authorize release.
/// None may reach telemetry: every metric tag, span name, attribute and event collected while each feature runs
/// (Redis spans included, as the worker configures them) is searched for them.
/// </summary>
[RedisBacked]
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryPrivacyTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task NoSessionIdPrincipalOrAttributeValueAppearsInAnyTagOrSpan()
    {
        using var app = await SessionApp.StartAsync(services);
        using var telemetry = new TelemetryCapture(app.Get<IConnectionMultiplexer>());
        var secrets = new List<string> { "principal-7f3a9c", "attribute-value-51d2e8" };

        using (TelemetryCapture.Tests.StartActivity("invocation"))
        {
            var created = (await app.Store.CreateAsync("principal-7f3a9c", SessionApp.Attributes(("cart", "attribute-value-51d2e8")))).Session!;
            secrets.Add(created.Id);
            await app.Store.GetAsync(created.Id);
            await app.Store.UpdateAsync(created.Id, SessionApp.Attributes(("cart", "attribute-value-51d2e8")), created.Version + 5);
            var rotated = (await app.Store.RotateAsync(created.Id)).Session!;
            secrets.Add(rotated.Id);
            await app.Store.GetAttributeAsync(rotated.Id, "cart");
            await app.Store.DeleteAsync(rotated.Id);
            await app.Store.RevokeAllAsync("principal-7f3a9c");
        }

        await AssertNoneAppearsAsync(telemetry, secrets, tokens: []);
    }

    [Fact(Timeout = 30_000)]
    public async Task NoLockOwnerOrFencingTokenAppearsInAnyTagOrSpan()
    {
        using var app = await LockApp.StartAsync(services);
        using var telemetry = new TelemetryCapture(app.Get<IConnectionMultiplexer>());
        var secrets = new List<string> { "owner-label-c41b07" };
        var tokens = new List<long>();
        var name = $"private-{Guid.NewGuid():N}";

        using (TelemetryCapture.Tests.StartActivity("invocation"))
        {
            var grant = await app.Redis.AcquireAsync(name, "owner-label-c41b07", TimeSpan.FromSeconds(30), TimeSpan.Zero, Ct);
            secrets.Add(grant.Owner!);
            tokens.Add(grant.Token);
            await app.Redis.ExtendAsync(name, grant.Owner!, grant.Token, TimeSpan.FromSeconds(30), Ct);
            await app.Fenced.WriteAsync("p", name, "v", grant.Token, Ct);
            await app.Redis.ReleaseAsync(name, grant.Owner!, grant.Token, Ct);
            await app.Redis.ReleaseAsync(name, grant.Owner!, grant.Token, Ct);
            await using var held = (await app.Redis.HoldAsync(name, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.Zero, Ct))!;
            secrets.Add(held.Owner);
            tokens.Add(held.Token);
        }

        await AssertNoneAppearsAsync(telemetry, secrets, tokens);
    }

    [Fact(Timeout = 30_000)]
    public async Task AForwardedSessionCookieOrAuthorizationNeverAppearsInAnyTagOrSpan()
    {
        await using var backend = await Backend.StartAsync("private");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("private", $$"""{"policy":"power-of-two-choices","targets":[{"id":"private","url":"{{backend.Url}}"}]}""");
        using var telemetry = new TelemetryCapture(app.Get<IConnectionMultiplexer>());

        using (TelemetryCapture.Tests.StartActivity("invocation"))
        {
            var request = new ForwardRequest("private", "GET", "orders?page=2", [new("Cookie", "session=cookie-9e2f61"), new("Authorization", "Bearer bearer-0d7c35")], default);
            Assert.Equal(ForwardStatus.Relayed, (await app.Forwarder.ForwardAsync(request, Ct)).Status);
        }

        await AssertNoneAppearsAsync(telemetry, ["cookie-9e2f61", "bearer-0d7c35"], tokens: []);
    }

    private static async Task AssertNoneAppearsAsync(TelemetryCapture telemetry, IReadOnlyList<string> secrets, IReadOnlyList<long> tokens)
    {
        // Redis spans are made from profiling sessions after the commands ran: wait until they are in.
        await telemetry.SpansWhenAsync(s => s.Any(x => x.GetTagItem("db.system") is "redis" || x.GetTagItem("db.system.name") is "redis"), TimeSpan.FromSeconds(15));
        var text = telemetry.EverythingAsText();

        Assert.Contains(text, t => t.StartsWith("serverless.", StringComparison.Ordinal));
        Assert.Contains(text, t => t.Contains("redis", StringComparison.OrdinalIgnoreCase));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(text, t => t.Contains(secret, StringComparison.Ordinal));
        }

        foreach (var token in tokens.Select(t => t.ToString(CultureInfo.InvariantCulture)))
        {
            Assert.DoesNotContain(text, t => t.EndsWith("=" + token, StringComparison.Ordinal) || t.Contains(token + ":", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(text, t => t.Split('=')[0].Contains("owner", StringComparison.OrdinalIgnoreCase) || t.Split('=')[0].Contains("token", StringComparison.OrdinalIgnoreCase));
    }
}
