using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Core.Jobs;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of reliable jobs.</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>Adds job submission, the runner, dead-job admin and the sweep with <see cref="JobOptions"/> from <c>Jobs</c>.</summary>
    public static IServiceCollection AddServerlessJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobOptions>()
            .Bind(configuration.GetSection(JobOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<JobLanes>();
        services.TryAddSingleton<JobEvents>();
        services.TryAddSingleton<JobFaults>();
        services.TryAddSingleton<JobSubmitter>();
        services.TryAddSingleton<JobRunner>();
        services.AddMessageHandler<JobConsumer, JobMessage>();
        services.TryAddSingleton<DeadJobs>();
        services.TryAddSingleton<JobRetention>();
        services.TryAddSingleton<JobSweeper>();
        return services;
    }
}
