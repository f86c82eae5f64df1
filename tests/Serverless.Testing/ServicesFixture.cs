using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Serverless.Testing;

/// <summary>One Redis and one Azurite for the whole test run, started before the first test and stopped after the last.</summary>
public sealed class ServicesFixture : IAsyncLifetime
{
    private RedisServer? _redis;
    private AzuriteServer? _azurite;

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("Redis fixture not started.");

    public AzuriteServer Azurite => _azurite ?? throw new InvalidOperationException("Azurite fixture not started.");

    public async ValueTask InitializeAsync()
    {
        var redis = RedisServer.StartAsync();
        var azurite = AzuriteServer.StartAsync();
        // Start both even if one fails, so the failure message names every missing service at once.
        await Task.WhenAll(redis.ContinueWith(_ => { }, TaskScheduler.Default), azurite.ContinueWith(_ => { }, TaskScheduler.Default));
        _redis = redis.IsCompletedSuccessfully ? redis.Result : null;
        _azurite = azurite.IsCompletedSuccessfully ? azurite.Result : null;
        var errors = new[] { redis.Exception, azurite.Exception }.Where(e => e is not null).Select(e => e!.GetBaseException().Message).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }
    }

    /// <summary>How long one Storage try may take in tests (<c>Storage:NetworkTimeout</c>).</summary>
    public const string BusyMachineStorageTimeout = "00:00:30";

    /// <summary>The settings the Functions app reads, pointing at this run's services.</summary>
    public IConfiguration Configuration(IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = Redis.ConnectionString,
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            // One Azurite serves the whole suite on two busy cores and has answered a try after more than the 5 s
            // production default (the fault campaign's start timed out three tries in a row): the margin is here, and
            // the outage tests that measure the timeout set their own.
            ["Storage:NetworkTimeout"] = BusyMachineStorageTimeout,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    /// <summary>
    /// An "app instance": a started host with the same <c>AddServerless</c> registration as <c>Program.cs</c>.
    /// Two of these sharing Redis behave like two Functions instances.
    /// </summary>
    public async Task<IHost> StartAppAsync(IDictionary<string, string?>? overrides = null, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(Configuration(overrides));
        builder.Services.AddLogging();
        builder.Services.AddServerless(builder.Configuration);
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}
