using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Transactions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the distributed-transaction participants and logs.</summary>
public static class TransactionServiceCollectionExtensions
{
    /// <summary>
    /// Adds the participants, decision and attention logs, invariant checker and fault injector, with
    /// <see cref="TransactionOptions"/> from <c>Transactions</c> and <see cref="TransactionFaultOptions"/> from <c>Transactions:Faults</c>.
    /// </summary>
    public static IServiceCollection AddServerlessTransactions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TransactionOptions>()
            .Bind(configuration.GetSection(TransactionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<TransactionFaultOptions>()
            .Bind(configuration.GetSection(TransactionFaultOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<TransactionTables>();
        services.AddAppQueue(sp => sp.GetRequiredService<TransactionTables>().AttentionQueue.Name);
        services.TryAddSingleton<TransactionParticipants>();
        services.TryAddSingleton<DecisionLog>();
        services.TryAddSingleton<AttentionLog>();
        services.TryAddSingleton<RequestClaims>();
        services.TryAddSingleton<FaultInjector>();
        services.TryAddSingleton<OrderPricing>();
        services.TryAddSingleton<InvariantChecker>();
        return services;
    }
}
