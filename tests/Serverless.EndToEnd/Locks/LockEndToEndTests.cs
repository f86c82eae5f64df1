using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Locks;

public sealed class LockEndToEndTests(HostFixture fixture)
{
    [Theory(Timeout = 120_000)]
    [InlineData("entity")]
    [InlineData("redis", Traits = [RedisBackedAttribute.TraitName, RedisBackedAttribute.TraitValue])]
    [Covers("LockAction", "GetLock")]
    public async Task AcquireExtendReleaseGivesGrowingTokensAndRefusesASecondHolder(string backend)
    {
        using var client = fixture.Client();
        var name = $"e2e-{Guid.NewGuid():N}"[..16];
        var path = $"locks/{backend}/{name}";

        var first = await Answer.SendAsync(client, HttpMethod.Post, $"{path}/acquire", new { owner = "alice", leaseMs = 60_000, waitMs = 30_000 });
        Assert.True(first.Status == 200, first.ToString());
        Assert.Equal("Granted", first.Json.GetProperty("outcome").GetString());
        var (owner, token) = (first.Json.GetProperty("owner").GetString()!, first.Json.GetProperty("token").GetInt64());

        var busy = await Answer.SendAsync(client, HttpMethod.Post, $"{path}/acquire", new { owner = "bob", leaseMs = 60_000 });
        Assert.True(busy.Status == 409, busy.ToString());
        var state = await Answer.SendAsync(client, HttpMethod.Get, path);
        Assert.True(state.Json.GetProperty("held").GetBoolean(), state.ToString());
        Assert.Equal(token, state.Json.GetProperty("token").GetInt64());
        Assert.DoesNotContain(owner, state.Body, StringComparison.Ordinal);

        var extended = await Answer.SendAsync(client, HttpMethod.Post, $"{path}/extend", new { owner, token, leaseMs = 90_000 });
        Assert.True(extended.Status == 200, extended.ToString());
        var wrong = await Answer.SendAsync(client, HttpMethod.Post, $"{path}/release", new { owner = "mallory", token });
        Assert.True(wrong.Status == 409, wrong.ToString());
        var released = await Answer.SendAsync(client, HttpMethod.Post, $"{path}/release", new { owner, token });
        Assert.True(released.Status == 200, released.ToString());

        var next = await Answer.SendAsync(client, HttpMethod.Post, $"{path}/acquire", new { owner = "bob", leaseMs = 60_000, waitMs = 30_000 });
        Assert.True(next.Status == 200, next.ToString());
        Assert.True(next.Json.GetProperty("token").GetInt64() > token, $"fencing token must grow: {token} then {next}");
    }
}
