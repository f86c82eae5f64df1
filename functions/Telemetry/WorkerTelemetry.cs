using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Instrumentation.StackExchangeRedis;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Serverless.Core.Telemetry;
using StackExchange.Redis;

namespace Serverless.Functions.Telemetry;

/// <summary>Where the worker's telemetry goes, read from the two standard settings.</summary>
/// <param name="AzureMonitor"><see cref="WorkerTelemetry.AzureMonitorSetting"/> is set.</param>
/// <param name="Otlp"><see cref="WorkerTelemetry.OtlpSetting"/> is set.</param>
public sealed record TelemetryExport(bool AzureMonitor, bool Otlp)
{
    /// <summary>Whether anything is exported at all.</summary>
    public bool Any => AzureMonitor || Otlp;
}

/// <summary>
/// OpenTelemetry in the worker: traces of the Serverless activity sources, outgoing HTTP (dispatch), Redis and the
/// Azure SDK (Storage), correlated with the host's invocation; and every <c>Serverless.*</c> meter. Exported to Azure
/// Monitor when <see cref="AzureMonitorSetting"/> is set, over OTLP when <see cref="OtlpSetting"/> is set (both when
/// both are), and not collected at all otherwise, so an app without a destination pays nothing for it.
/// </summary>
public static class WorkerTelemetry
{
    /// <summary>The Application Insights connection string (the standard name the exporter reads).</summary>
    public const string AzureMonitorSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The OTLP collector endpoint (the standard name the exporter reads, with the other OTEL_* settings).</summary>
    public const string OtlpSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>What <paramref name="configuration"/> asks to export to.</summary>
    public static TelemetryExport Export(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new(!string.IsNullOrWhiteSpace(configuration[AzureMonitorSetting]), !string.IsNullOrWhiteSpace(configuration[OtlpSetting]));
    }

    /// <summary>Registers OpenTelemetry when a destination is configured; returns what was chosen.</summary>
    public static TelemetryExport AddWorkerTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var export = Export(configuration);
        if (!export.Any)
        {
            return export;
        }

        // The Azure SDK only starts its ActivitySources (Storage blob, queue and table calls) with this switch on.
        AppContext.SetSwitch(ServerlessTelemetry.AzureActivitySourceSwitch, true);
        var telemetry = services.AddOpenTelemetry()
            // The worker's invocation span, parented to the host's traceparent, and the Functions resource attributes.
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddServerlessTracing())
            .WithMetrics(metrics => metrics.AddServerlessMetrics());
        if (export.AzureMonitor)
        {
            telemetry.UseAzureMonitorExporter();
        }

        if (export.Otlp)
        {
            telemetry.UseOtlpExporter();
        }

        return export;
    }

    /// <summary>
    /// The worker's trace sources: every Serverless activity source, the Azure SDK's, outgoing HTTP and Redis (on
    /// <paramref name="redis"/>, or the app's connection from the container when null). Tests and the benchmark listen
    /// through this same set-up.
    /// </summary>
    public static TracerProviderBuilder AddServerlessTracing(this TracerProviderBuilder tracing, IConnectionMultiplexer? redis = null)
    {
        ArgumentNullException.ThrowIfNull(tracing);
        tracing
            .AddSource(ServerlessTelemetry.ActivitySourceWildcard)
            .AddSource(ServerlessTelemetry.AzureActivitySources)
            .AddHttpClientInstrumentation();
        return redis is null ? tracing.AddRedisInstrumentation(ConfigureRedis) : tracing.AddRedisInstrumentation(redis, ConfigureRedis);
    }

    /// <summary>The worker's meters: every Serverless meter and the HTTP client's.</summary>
    public static MeterProviderBuilder AddServerlessMetrics(this MeterProviderBuilder metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metrics.AddMeter(ServerlessTelemetry.MeterWildcard).AddHttpClientInstrumentation();
    }

    // Statements stay the command name only: key names carry lock names and session handles, arguments carry owners.
    private static void ConfigureRedis(StackExchangeRedisInstrumentationOptions redis) => redis.SetVerboseDatabaseStatements = false;
}
