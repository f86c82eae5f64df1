using Serverless.Core.Dispatch;
using Serverless.Core.Dispatch.Hashing;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Dispatch;

/// <summary>
/// Ring-hash and maglev pools against real Redis: the in-process table decides, the pick script bounds the load and
/// skips ejected targets, every instance agrees, and a request without a key is refused before anything is written.
/// </summary>
[RedisBacked]
public sealed class HashDispatchTests(ServicesFixture services)
{
    private static readonly Dictionary<string, string?> Health = new()
    {
        ["Dispatch:FailureThreshold"] = "1",
        ["Dispatch:EjectionBase"] = "00:00:10",
        ["Dispatch:SlowStart"] = "00:00:00",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Policies => ["ring-hash", "maglev"];

    [Theory(Timeout = 15_000)]
    [MemberData(nameof(Policies))]
    public async Task RequestWithoutItsKeyIsRefusedWith400AndReachesNoTarget(string policy)
    {
        await using var backend = await Backend.StartAsync("a");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("keyed", $$"""{"policy":"{{policy}}","hashKey":{"header":"X-Tenant"},"targets":[{"id":"a","url":"{{backend.Url}}"}]}""");
        var request = ActionResults.Request("POST", body: "{}");

        var response = await ActionResults.ExecuteAsync(await app.Forward.Forward(request, "keyed", "orders", Ct), request);

        Assert.Equal(400, response.Status);
        Assert.True(response.IsProblem, response.ContentType);
        Assert.Contains("header 'X-Tenant'", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, backend.Requests);
        Assert.Equal(0, (await app.Store.GetAsync("keyed"))!.Targets.Single().InFlight);
    }

    [Fact(Timeout = 15_000)]
    public async Task TargetHeaderGivesTheReasonAndTheKeyHashIsShownOnlyWhenAsked()
    {
        await using var a = await Backend.StartAsync("a");
        await using var b = await Backend.StartAsync("b");
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("carts", $$"""{"policy":"ring-hash","hashKey":{"segment":0},"targets":[{"id":"a","url":"{{a.Url}}"},{"id":"b","url":"{{b.Url}}"}]}""");
        var expected = new RingHashTable([("a", 1), ("b", 1)]).Lookup(KeyHash.Of("cart-7")) == 0 ? "a" : "b";

        var asked = ActionResults.Request("GET", headers: new Dictionary<string, string> { [HashRoute.DebugHeader] = "hash" });
        var debug = await ActionResults.ExecuteAsync(await app.Forward.Forward(asked, "carts", "cart-7/items", Ct), asked);
        var plain = ActionResults.Request("GET");
        var quiet = await ActionResults.ExecuteAsync(await app.Forward.Forward(plain, "carts", "cart-7/items", Ct), plain);

        Assert.Equal((200, expected), (debug.Status, debug.Body));
        Assert.Equal($"{expected}; reason=hash", debug.Headers[ForwardHeaders.TargetHeader].ToString());
        Assert.Equal(KeyHash.Format(KeyHash.Of("cart-7")), debug.Headers[HashRoute.KeyHashHeader].ToString());
        Assert.Equal($"{expected}; reason=hash", quiet.Headers[ForwardHeaders.TargetHeader].ToString());
        Assert.False(quiet.Headers.ContainsKey(HashRoute.KeyHashHeader));
    }

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(Policies))]
    public async Task TwoAppInstancesSendEveryKeyWhereTheTableSays(string policy)
    {
        var prefix = $"t{Guid.NewGuid():N}"[..12] + ":";
        using var first = await DispatchApp.StartSharingAsync(services, prefix);
        using var second = await DispatchApp.StartSharingAsync(services, prefix);
        await first.SavePoolAsync("tenants", Pool(policy, 6));
        var table = HashTableTests.Build(policy, HashTableTests.Targets(6));

        var keys = Enumerable.Range(0, 150).Select(i => $"tenant-{i}").ToList();
        var fromFirst = new List<string>();
        var fromSecond = new List<string>();
        foreach (var key in keys)
        {
            fromFirst.Add(await PickReleasedAsync(first, "tenants", key));
            fromSecond.Add(await PickReleasedAsync(second, "tenants", key));
        }

        Assert.Equal(fromFirst, fromSecond);
        Assert.Equal(keys.Select(k => $"t{table.Lookup(KeyHash.Of(k))}"), fromFirst);
        Assert.True(fromFirst.Distinct().Count() >= 5, "150 keys should reach nearly every one of 6 targets");
    }

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(Policies))]
    public async Task HotKeyRangeSpillsAtTheBoundedLoadCapWhileTheOthersStillTakeTheirOwnKeys(string policy)
    {
        using var app = await DispatchApp.StartAsync(services);
        await app.SavePoolAsync("hot", Pool(policy, 4));
        var table = HashTableTests.Build(policy, HashTableTests.Targets(4));
        var hot = Enumerable.Range(0, 10_000).Select(i => $"hot-{i}").Where(k => table.Lookup(KeyHash.Of(k)) == 0).Take(40).ToList();
        var inFlight = new Dictionary<string, int>();
        var leases = new List<PoolLease>();

        for (var k = 1; k <= hot.Count; k++)
        {
            var lease = (await app.Store.PickAsync("hot", keyOf: _ => hot[k - 1])).Lease!;
            leases.Add(lease);
            inFlight[lease.TargetId] = inFlight.GetValueOrDefault(lease.TargetId) + 1;
            var cap = (int)Math.Ceiling(1.25 * k / 4);
            Assert.True(inFlight.Values.Max() <= cap, $"after {k} picks: {string.Join(", ", inFlight)} exceeds {cap}");
            Assert.Equal(lease.TargetId == "t0" ? HashRoute.Hash : HashRoute.BoundedLoadSpill, lease.Route!.Reason);
        }

        // The hot target is held at its cap (13 of 40) and the rest spilled; a cold key of a target with room is not moved.
        Assert.Equal(13, inFlight["t0"]);
        Assert.Equal(hot.Count, (await app.Store.GetAsync("hot"))!.Targets.Sum(t => t.InFlight));
        var roomy = inFlight.Where(p => p.Key != "t0").MinBy(p => p.Value).Key;
        var cold = Enumerable.Range(0, 10_000).Select(i => $"cold-{i}").First(k => $"t{table.Lookup(KeyHash.Of(k))}" == roomy);
        var coldPick = (await app.Store.PickAsync("hot", keyOf: _ => cold)).Lease!;
        Assert.Equal((roomy, HashRoute.Hash), (coldPick.TargetId, coldPick.Route!.Reason));

        foreach (var lease in leases.Append(coldPick))
        {
            await app.Store.RecordAsync(lease, Outcome.Released, null);
        }

        var back = (await app.Store.PickAsync("hot", keyOf: _ => hot[^1])).Lease!;
        Assert.Equal(("t0", HashRoute.Hash), (back.TargetId, back.Route!.Reason));
    }

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(Policies))]
    public async Task EjectedTargetsKeysGoToTheirNextChoiceAndComeBackOnReadmission(string policy)
    {
        var clock = DispatchApp.Clock();
        using var app = await DispatchApp.StartAsync(services, Health, clock);
        await app.SavePoolAsync("sticky", Pool(policy, 5));
        var table = HashTableTests.Build(policy, HashTableTests.Targets(5));
        var keys = Enumerable.Range(0, 100).Select(i => $"user-{i}").ToList();

        await app.Store.RecordAsync("sticky", "t2", null, Outcome.Failure, null);
        var during = new List<PoolLease>();
        foreach (var key in keys)
        {
            during.Add(await PickLeaseReleasedAsync(app, "sticky", key));
        }

        clock.Advance(TimeSpan.FromSeconds(10));
        var after = new List<PoolLease>();
        foreach (var key in keys)
        {
            after.Add(await PickLeaseReleasedAsync(app, "sticky", key));
        }

        for (var i = 0; i < keys.Count; i++)
        {
            var order = table.Preferences(KeyHash.Of(keys[i]));
            var expected = order[0] == 2 ? ($"t{order[1]}", HashRoute.EjectedSpill) : ($"t{order[0]}", HashRoute.Hash);
            Assert.Equal(expected, (during[i].TargetId, during[i].Route!.Reason));
            Assert.Equal(($"t{order[0]}", HashRoute.Hash), (after[i].TargetId, after[i].Route!.Reason));
        }

        Assert.Contains(during, l => l.Route!.Reason == HashRoute.EjectedSpill);
    }

    [Fact(Timeout = 30_000)]
    public async Task ASaveOnOneInstanceRebuildsTheTableOfTheOtherOnItsNextPick()
    {
        var prefix = $"t{Guid.NewGuid():N}"[..12] + ":";
        using var first = await DispatchApp.StartSharingAsync(services, prefix);
        using var second = await DispatchApp.StartSharingAsync(services, prefix);
        await first.SavePoolAsync("grow", Pool("maglev", 4));
        Assert.Equal("t" + HashTableTests.Build("maglev", HashTableTests.Targets(4)).Lookup(KeyHash.Of("k")), await PickReleasedAsync(second, "grow", "k"));

        await first.SavePoolAsync("grow", Pool("maglev", 5));
        var grown = HashTableTests.Build("maglev", HashTableTests.Targets(5));
        var keys = Enumerable.Range(0, 60).Select(i => $"k{i}").ToList();
        foreach (var key in keys)
        {
            Assert.Equal($"t{grown.Lookup(KeyHash.Of(key))}", await PickReleasedAsync(second, "grow", key));
        }

        // No longer hashing: the other instance picks without a key again.
        await first.SavePoolAsync("grow", """{"policy":"round-robin","targets":[{"id":"t0","url":"http://t0.test"}]}""");
        Assert.Equal(PickStatus.Picked, (await second.Store.PickAsync("grow")).Status);
    }

    private static string Pool(string policy, int targets) =>
        $$"""{"policy":"{{policy}}","hashKey":{"header":"X-Tenant"},"targets":[{{string.Join(",", Enumerable.Range(0, targets).Select(i => $$"""{"id":"t{{i}}","url":"http://t{{i}}.test"}"""))}}]}""";

    private static async Task<string> PickReleasedAsync(DispatchApp app, string pool, string key) => (await PickLeaseReleasedAsync(app, pool, key)).TargetId;

    // Released at once, so in-flight counts stay at zero and only the table (and ejection) decides.
    private static async Task<PoolLease> PickLeaseReleasedAsync(DispatchApp app, string pool, string key)
    {
        var pick = await app.Store.PickAsync(pool, keyOf: _ => key);
        Assert.True(pick.Status == PickStatus.Picked, $"{pick.Status}: {pick.Detail}");
        await app.Store.RecordAsync(pick.Lease!, Outcome.Released, null);
        return pick.Lease!;
    }
}
