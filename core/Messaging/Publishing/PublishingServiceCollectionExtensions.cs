using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serverless.Core.Messaging.Publishing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of event publishing.</summary>
public static class PublishingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IEventPublisher"/>: a Service Bus topic publisher when <c>Messaging:ServiceBus</c> names a
    /// namespace or connection string, otherwise <see cref="NoEventPublisher"/>.
    /// </summary>
    public static IServiceCollection AddServerlessPublishing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ServiceBusPublishingOptions>()
            .Bind(configuration.GetSection(ServiceBusPublishingOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IEventPublisher>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ServiceBusPublishingOptions>>().Value;
            if (!options.IsConfigured)
            {
                return new NoEventPublisher();
            }

            // One client (one AMQP connection) for the life of the process; it is not registered, so nothing else shares it.
            var client = sp.GetService<ServiceBusClient>() ?? CreateClient(options);
            return new ServiceBusEventPublisher(client.CreateSender(options.Topic), sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    private static ServiceBusClient CreateClient(ServiceBusPublishingOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return new ServiceBusClient(options.ConnectionString);
        }

        TokenCredential credential = string.IsNullOrWhiteSpace(options.ClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
        return new ServiceBusClient(options.FullyQualifiedNamespace, credential);
    }
}
