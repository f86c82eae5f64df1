using Azure.Data.Tables;
using Azure.Storage.Queues;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Foundation;

public sealed class RealServicesTests(ServicesFixture services)
{
    [RedisBacked]
    [Fact(Timeout = 10_000)]
    public async Task RedisKeyRoundTripsOnTheFixturesOwnServer()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(services.Redis.ConnectionString);
        var db = redis.GetDatabase();
        var key = $"fixture:{Guid.NewGuid():N}";

        await db.StringSetAsync(key, "hello");

        Assert.Equal("hello", (string?)await db.StringGetAsync(key));
        foreach (var node in services.Redis.Nodes)
        {
            Assert.False(node.Process.HasExited);
            Assert.Equal(node.Process.Id, ListeningSockets.OwnerPid(node.Port));
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task QueueMessageRoundTripsOnTheFixturesOwnAzurite()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new QueueClient(services.Azurite.ConnectionString, $"fixture-{Guid.NewGuid():N}");
        await queue.CreateAsync(cancellationToken: ct);

        await queue.SendMessageAsync("hello", ct);
        var received = await queue.ReceiveMessageAsync(cancellationToken: ct);

        Assert.Equal("hello", received.Value.MessageText);
        AssertOwnedAzurite(services.Azurite.QueuePort);
    }

    [Fact(Timeout = 10_000)]
    public async Task TableEntityRoundTripsOnTheFixturesOwnAzurite()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = new TableClient(services.Azurite.ConnectionString, $"fixture{Guid.NewGuid():N}");
        await table.CreateAsync(ct);

        await table.AddEntityAsync(new TableEntity("p", "r") { ["Value"] = 42 }, ct);
        var entity = await table.GetEntityAsync<TableEntity>("p", "r", cancellationToken: ct);

        Assert.Equal(42, entity.Value.GetInt32("Value"));
        AssertOwnedAzurite(services.Azurite.TablePort);
    }

    private void AssertOwnedAzurite(int port)
    {
        if (services.Azurite.Process is { } process)
        {
            Assert.False(process.HasExited);
            Assert.Equal(process.Id, ListeningSockets.OwnerPid(port));
        }
    }
}
