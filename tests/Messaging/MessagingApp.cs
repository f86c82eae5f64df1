using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Core.Messaging;
using Serverless.Core.Storage;
using Serverless.Testing;
using Xunit;

namespace Serverless.Tests.Messaging;

/// <summary>An app instance with its own inbox table and work queue, and a handler whose effects are counted.</summary>
internal sealed class MessagingApp(IHost host, string prefix, string queue) : TestApp(host, prefix)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public CountingHandler Handler { get; } = new(queue);

    public MessagePipeline Pipeline => Get<MessagePipeline>();

    public QueueClient Queue => Get<StorageClients>().Queues.GetQueueClient(Handler.Queue);

    public QueueClient Poison => Get<StorageClients>().Queues.GetQueueClient(PoisonQueue.For(Handler.Queue));

    public static async Task<MessagingApp> StartAsync(ServicesFixture services, TimeProvider? time = null, int maxAttempts = 3, string backoffBase = "00:00:01", string backoffCap = "00:00:02")
    {
        var prefix = NewPrefix();
        var id = Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?>
        {
            ["Messaging:InboxTable"] = "inbox" + id,
            [$"Messaging:Consumers:{CountingHandler.Name}:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"Messaging:Consumers:{CountingHandler.Name}:BackoffBase"] = backoffBase,
            [$"Messaging:Consumers:{CountingHandler.Name}:BackoffCap"] = backoffCap,
            [$"Messaging:Consumers:{CountingHandler.Name}:ClaimLease"] = "00:00:30",
        };
        var app = new MessagingApp(await StartHostAsync(services, prefix, settings, time), prefix, "work-" + id);
        await app.Queue.CreateIfNotExistsAsync(cancellationToken: Ct);
        return app;
    }

    /// <summary>Puts <paramref name="text"/> on the work queue and receives it, as the trigger would.</summary>
    public async Task<QueueMessage> DeliverAsync(string text)
    {
        await Queue.SendMessageAsync(text, Ct);
        return await ReceiveAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("The message never arrived.");
    }

    /// <summary>The next visible message of the work queue, polled until <paramref name="within"/> runs out.</summary>
    public async Task<QueueMessage?> ReceiveAsync(TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        do
        {
            var received = (await Queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30), Ct)).Value;
            if (received is not null)
            {
                await Queue.DeleteMessageAsync(received.MessageId, received.PopReceipt, Ct);
                return received;
            }

            await Task.Delay(100, Ct);
        }
        while (DateTimeOffset.UtcNow < deadline);
        return null;
    }

    public Task<PipelineOutcome> ProcessAsync(QueueMessage message, CancellationToken? ct = null) => Pipeline.ProcessAsync(Handler, message, ct ?? Ct);

    public async Task<List<MessageEnvelope>> PoisonedAsync()
    {
        if (!(await Poison.ExistsAsync(Ct)).Value)
        {
            return [];
        }

        return (await Poison.PeekMessagesAsync(32, Ct)).Value.Select(m => MessageEnvelope.TryRead(m.Body.ToString())!).ToList();
    }

    /// <summary>The same message delivered again by the runtime (its visibility ran out), with the next dequeue count.</summary>
    public static QueueMessage Redelivered(QueueMessage message) =>
        QueuesModelFactory.QueueMessage(message.MessageId, "pop", message.Body, message.DequeueCount + 1, message.InsertedOn);
}

/// <summary>Work <c>{"key": "..."}</c>; claimed by its key; each run counted per key.</summary>
internal sealed record Work(string Key);

internal sealed class CountingHandler(string queue) : IMessageHandler<Work>
{
    public const string Name = "counting";

    public ConcurrentDictionary<string, int> Effects { get; } = new();

    public ConcurrentQueue<MessageDelivery> Deliveries { get; } = new();

    /// <summary>What each run reports after counting its effect; succeeds by default.</summary>
    public Func<Work, MessageDelivery, CancellationToken, Task<HandlerResult>> Behaviour { get; set; } = (_, _, _) => Task.FromResult(HandlerResult.Succeeded);

    public string Consumer => Name;

    public string Queue => queue;

    public MessageDecoding<Work> Decode(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String
                ? MessageDecoding<Work>.Ok(new Work(key.GetString()!))
                : MessageDecoding<Work>.Fail("no 'key'");
        }
        catch (JsonException ex)
        {
            return MessageDecoding<Work>.Fail(ex.Message);
        }
    }

    public string? InboxKey(Work message) => message.Key;

    public async Task<HandlerResult> HandleAsync(Work message, MessageDelivery delivery, CancellationToken cancellationToken)
    {
        Deliveries.Enqueue(delivery);
        var result = await Behaviour(message, delivery, cancellationToken);
        if (result.Status == HandlerStatus.Succeeded)
        {
            Effects.AddOrUpdate(message.Key, 1, (_, n) => n + 1);
        }

        return result;
    }
}
