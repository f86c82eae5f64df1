using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Messaging;
using Serverless.Core.Messaging.Outbox;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the consumer pipeline and of the queues features own.</summary>
public static class MessagingServiceCollectionExtensions
{
    /// <summary>Adds the pipeline, the inbox and the registry of app queues, with <c>Messaging</c> options.</summary>
    public static IServiceCollection AddServerlessMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MessagingOptions>()
            .Bind(configuration.GetSection(MessagingOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<Inbox>();
        services.TryAddSingleton<InboxRetention>();
        services.TryAddSingleton<MessagePipeline>();
        services.TryAddSingleton<AppQueues>();
        services.TryAddSingleton<QueueAdmin>();
        services.TryAddSingleton<OutboxStore>();
        services.TryAddSingleton<OutboxRelay>();
        return services;
    }

    /// <summary>
    /// Registers <typeparamref name="THandler"/> as a singleton and its queue as an app queue; the queue trigger then
    /// calls <see cref="MessagePipeline.ProcessAsync{TMessage}"/> with it.
    /// </summary>
    public static IServiceCollection AddMessageHandler<THandler, TMessage>(this IServiceCollection services)
        where THandler : class, IMessageHandler<TMessage>
    {
        services.TryAddSingleton<THandler>();
        services.AddSingleton(new AppQueueRegistration(sp =>
        {
            var handler = sp.GetRequiredService<THandler>();
            return new AppQueue(handler.Queue, handler.Consumer);
        }));
        return services;
    }

    /// <summary>Registers a queue the app writes but does not consume (listed and purgeable by the admin functions).</summary>
    public static IServiceCollection AddAppQueue(this IServiceCollection services, Func<IServiceProvider, string> name)
    {
        ArgumentNullException.ThrowIfNull(name);
        services.AddSingleton(new AppQueueRegistration(sp => new AppQueue(name(sp), null)));
        return services;
    }
}
