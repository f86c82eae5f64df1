using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Records;
using Serverless.Core.Redis;
using Serverless.Tests.Redis;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Records;

/// <summary>What records really send, recorded below the store: every command's keys in one hash slot under the prefix, and every records and cache script run.</summary>
[RedisBacked]
public sealed class RecordScriptSlotTests(ServicesFixture services)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 30_000)]
    public async Task EveryRecordsCommandKeepsItsKeysInOneSlotUnderTheAppPrefixAndEveryScriptRan()
    {
        var calls = new ConcurrentQueue<RecordedCall>();
        await using var inner = await ConnectionMultiplexer.ConnectAsync(services.Redis.ConnectionString);
        using var app = await new RecordWorld(services).StartAsync(s => s.Replace(ServiceDescriptor.Singleton(RecordingRedis.Wrap(inner, calls))));

        // The background loop would flush first; this test flushes itself, so the flush script is recorded here.
        await app.Flusher.StopAsync(Ct);
        foreach (var policy in Enum.GetValues<WritePolicy>())
        {
            var collection = policy.Name();
            await app.Store.PutAsync(collection, "k", "{\"n\":1}"u8.ToArray(), RecordPrecondition.None, Ct);
            await app.Store.GetAsync(collection, "k", Ct);
            await app.Store.GetAsync(collection, "cold", Ct);
            await app.Store.DeleteAsync(collection, "k", new RecordPrecondition(true, null), Ct);
        }

        await app.Flusher.FlushOnceAsync(Ct);

        var recorded = calls.ToArray();
        Assert.All(recorded, call =>
        {
            Assert.All(call.Keys, key => Assert.StartsWith(app.Prefix, (string?)key, StringComparison.Ordinal));
            Assert.True(call.Keys.Select(ClusterSlot.Of).Distinct().Count() <= 1, $"{call.Method} spans slots: {string.Join(", ", call.Keys)}");
        });
        var ran = recorded.Select(c => c.Script).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var scripts = typeof(RecordStore).Assembly.GetTypes()
            .Where(t => t.Namespace is "Serverless.Core.Records" or "Serverless.Core.Caching")
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(f => f.FieldType == typeof(RedisScript))
            .Select(f => (Name: $"{f.DeclaringType!.Name}.{f.Name}", Script: (RedisScript)f.GetValue(null)!))
            .ToList();
        Assert.Equal(3, scripts.Count);
        Assert.All(scripts, s => Assert.True(ran.Contains(Sha1(s.Script)), $"{s.Name} never ran in this test, so its keys were not checked"));
    }

    private static string Sha1(RedisScript script) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(script.Text)));
}
