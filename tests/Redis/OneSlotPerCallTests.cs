using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Dispatch;
using Serverless.Core.Redis;
using Serverless.Core.Search.Caching;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Sessions;
using Serverless.Tests.Search;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Redis;

/// <summary>
/// What the app really sends, recorded below the stores: every command's keys lie in one hash slot and under the app's
/// prefix, and every script of sessions, dispatch and search ran at least once, so none escaped the check.
/// </summary>
public sealed class OneSlotPerCallTests(ServicesFixture services)
{
    private static readonly string[] Features = ["Serverless.Core.Sessions", "Serverless.Core.Dispatch", "Serverless.Core.Search"];

    [Fact(Timeout = 90_000)]
    public async Task EverySessionDispatchAndSearchCommandKeepsItsKeysInOneSlotUnderTheAppPrefix()
    {
        var calls = new ConcurrentQueue<RecordedCall>();
        await using var inner = await ConnectionMultiplexer.ConnectAsync(services.Redis.ConnectionString);
        var world = new SearchWorld(services, new() { ["Sessions:MaxSessionsPerPrincipal"] = "1" });
        using var app = await world.StartAsync(s => s.Replace(ServiceDescriptor.Singleton(RecordingRedis.Wrap(inner, calls))));

        await ExerciseSessionsAsync(app.Get<RedisSessionStore>(), new SessionKeys(app.Get<RedisKeys>()), inner.GetDatabase());
        await ExerciseDispatchAsync(app.Get<DispatchStore>());
        await ExerciseSearchAsync(app);

        var recorded = calls.ToArray();
        Assert.NotEmpty(recorded);
        Assert.All(recorded, call =>
        {
            Assert.All(call.Keys, key => Assert.StartsWith(app.Prefix, (string?)key, StringComparison.Ordinal));
            Assert.True(call.Keys.Select(ClusterSlot.Of).Distinct().Count() <= 1, $"{call.Method} spans slots: {string.Join(", ", call.Keys)}");
        });
        var ran = recorded.Select(c => c.Script).Where(s => s is not null).ToHashSet(StringComparer.Ordinal);
        var scripts = FeatureScripts().ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, script => Assert.True(ran.Contains(Sha1(script.Script)), $"{script.Name} never ran in this test, so its keys were not checked"));
    }

    private static async Task ExerciseSessionsAsync(RedisSessionStore store, SessionKeys keys, IDatabase unrecorded)
    {
        var attributes = new Dictionary<string, JsonElement> { ["cart"] = JsonSerializer.SerializeToElement(1) };
        var unbound = (await store.CreateAsync(null, attributes)).Session!;
        await store.GetAsync(unbound.Id);
        // A read within the refresh window needs no script; one whose last slide is old runs the get script.
        await unrecorded.HashSetAsync(keys.Session(SessionId.Handle(unbound.Id)), "m:last", 1);
        await store.GetAsync(unbound.Id);
        await store.GetAttributeAsync(unbound.Id, "cart");
        await store.UpdateAsync(unbound.Id, new Dictionary<string, JsonElement> { ["cart"] = JsonSerializer.SerializeToElement(2), ["gone"] = JsonSerializer.SerializeToElement<object?>(null) });
        await store.TouchAsync(unbound.Id);
        var rotated = (await store.RotateAsync(unbound.Id)).Session!;
        await store.DeleteAsync(rotated.Id);

        var first = (await store.CreateAsync("ada")).Session!;
        var second = (await store.CreateAsync("ada")).Session!; // at the limit: checks, then evicts the first
        Assert.Equal(SessionStatus.NotFound, (await store.GetAsync(first.Id)).Status);
        var third = (await store.RotateAsync(second.Id)).Session!;
        await store.DeleteAsync(third.Id);
        await store.CreateAsync("ada");
        Assert.Equal(1, await store.RevokeAllAsync("ada"));
    }

    private static async Task ExerciseDispatchAsync(DispatchStore store)
    {
        await store.SaveAsync("orders", Pool("""{"policy":"least-connections","targets":[{"id":"a","url":"http://a.test"},{"id":"b","url":"http://b.test"}]}"""));
        await store.SaveAsync("orders", Pool("""{"policy":"least-connections","targets":[{"id":"a","url":"http://a.test"}]}"""));
        var lease = (await store.PickAsync("orders")).Lease!;
        await store.RecordAsync(lease, Outcome.Success, TimeSpan.FromMilliseconds(3));
        await store.RecordAsync("orders", "a", null, Outcome.Failure, null);
        Assert.NotNull(await store.GetAsync("orders"));
        Assert.Contains("orders", await store.ListAsync());
        Assert.True(await store.DeleteAsync("orders"));
        await store.SaveAsync("carts", Pool("""{"policy":"maglev","hashKey":{"header":"X-Tenant"},"targets":[{"id":"a","url":"http://a.test"},{"id":"b","url":"http://b.test"}]}"""));
        await store.RecordAsync((await store.PickAsync("carts", keyOf: _ => "tenant-1")).Lease!, Outcome.Released, null);
        Assert.True(await store.DeleteAsync("carts"));
    }

    private static async Task ExerciseSearchAsync(SearchApp app)
    {
        await SearchWorld.SeedAsync(app, [Products.Make("p1", "Quiet headphones")]);
        await app.QueryAsync("headphones");
        var hot = app.Get<HotQueries>();
        await hot.FlushAsync();
        Assert.NotEmpty(await hot.TopAsync(5));
        var log = app.Get<CatalogChangeLog>();
        Assert.Equal(1, await log.CurrentVersionAsync());
        Assert.Equal(1, (await log.TailAsync()).Version);
        Assert.Single(await log.ReadAfterAsync("0-0"));
        Assert.Equal(2, (await log.RebaseAsync(floor: 1)).Version);
        Assert.Equal(3, await log.AppendAsync(new CatalogChange([], [], Id: "once")));
        Assert.Equal(3, await log.AppendAsync(new CatalogChange([], [], Id: "once")));
    }

    private static PoolDefinition Pool(string json)
    {
        using var document = JsonDocument.Parse(json);
        return PoolDefinitionParser.Parse(document.RootElement).Definition!;
    }

    private static IEnumerable<(string Name, RedisScript Script)> FeatureScripts() =>
        typeof(RedisScript).Assembly.GetTypes()
            .Where(t => Features.Any(f => t.Namespace?.StartsWith(f, StringComparison.Ordinal) == true))
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(f => f.FieldType == typeof(RedisScript))
            .Select(f => ($"{f.DeclaringType!.Name}.{f.Name}", (RedisScript)f.GetValue(null)!));

    private static string Sha1(RedisScript script) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(script.Text)));
}
