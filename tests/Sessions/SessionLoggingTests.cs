using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Serverless.Testing;
using Xunit;
using static Serverless.Tests.Sessions.SessionApp;

namespace Serverless.Tests.Sessions;

/// <summary>Request telemetry already records URL paths; the app's own logs must never add a session id.</summary>
[RedisBacked]
public sealed class SessionLoggingTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task NoLogLineHoldsASessionIdThroughCreateReadPatchRotateAndDelete()
    {
        using var app = await StartAsync(services, configure: s => s.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddFakeLogging()));
        var create = ActionResults.Request("POST", body: """{"principal":"ada","attributes":{"theme":"dark"}}""");
        var id = (await ActionResults.ExecuteAsync(await app.Functions.Create(create, Ct), create)).Json.GetProperty("id").GetString()!;
        Dictionary<string, string> Auth(string session) => new() { ["Authorization"] = $"Session {session}" };

        var read = ActionResults.Request(headers: Auth(id));
        Assert.Equal(200, (await ActionResults.ExecuteAsync(await app.Functions.Get(read, "current"), read)).Status);
        var patch = ActionResults.Request("PATCH", body: """{"theme":"light"}""", headers: Auth(id));
        Assert.Equal(200, (await ActionResults.ExecuteAsync(await app.Functions.Update(patch, "current", Ct), patch)).Status);
        var rotate = ActionResults.Request("POST", headers: Auth(id));
        var rotatedTo = (await ActionResults.ExecuteAsync(await app.Lifecycle.Rotate(rotate, "current"), rotate)).Json.GetProperty("id").GetString()!;
        var stale = ActionResults.Request(headers: Auth(id));
        Assert.Equal(404, (await ActionResults.ExecuteAsync(await app.Functions.Get(stale, "current"), stale)).Status);
        var delete = ActionResults.Request("DELETE", headers: Auth(rotatedTo));
        Assert.Equal(204, (await ActionResults.ExecuteAsync(await app.Functions.Delete(delete, "current"), delete)).Status);

        var logged = app.Services.GetFakeLogCollector().GetSnapshot();
        Assert.NotEmpty(logged); // the collector is wired: the host's own start-up lines are in it
        Assert.DoesNotContain(logged, r => r.Message.Contains(id, StringComparison.Ordinal) || r.Message.Contains(rotatedTo, StringComparison.Ordinal)
            || (r.Exception?.ToString().Contains(id, StringComparison.Ordinal) ?? false));
    }
}
