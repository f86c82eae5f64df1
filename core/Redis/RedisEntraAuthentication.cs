using System.Runtime.CompilerServices;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Core.Hosting;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace Serverless.Core.Redis;

/// <summary>
/// Signs StackExchange.Redis connections in to Azure Managed Redis with a Microsoft Entra ID token instead of an
/// access key: the token is the password and the identity's object id the user name. Every new connection (also a
/// reconnect) uses the current token, and a lost connection asks the credential again before it reconnects; the token
/// is renewed at 75% of its lifetime, and live connections are sent <c>AUTH</c> with the new one before the old expires.
/// </summary>
/// <remarks>
/// Written by hand on Azure.Identity because Microsoft.Azure.StackExchangeRedis, the library that does this, is not
/// served by the NuGet feed this repository builds from. It follows that library's design: an options provider whose
/// <see cref="Password"/> is read by every connection handshake, and a timer that re-authenticates live connections.
/// AUTH goes over each server's interactive connection; a subscription connection (the search cache backplane) cannot
/// be re-authenticated that way, so the server closes it when its token expires and it reconnects with the new one.
/// </remarks>
public sealed partial class RedisEntraAuthentication : AzureManagedRedisOptionsProvider, IDisposable
{
    /// <summary>The Entra ID scope Azure Managed Redis (and Azure Cache for Redis) accepts tokens for.</summary>
    public const string Scope = "https://redis.azure.com/.default";

    // 75% leaves a quarter of the lifetime (hours for managed identity tokens) to retry a failing renewal.
    private const double RenewAtFractionOfLifetime = 0.75;

    // A failing credential or AUTH is retried this soon; a token that stopped working must not wait for the schedule.
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    // Never reschedule tighter than this, so a token that is already expired cannot spin the timer.
    private static readonly TimeSpan MinimumDelay = TimeSpan.FromSeconds(1);

    // Managed identity answers in milliseconds; a hung token endpoint must not hold the renewal forever.
    private static readonly TimeSpan TokenTimeout = TimeSpan.FromSeconds(30);

    private static readonly TokenRequestContext Request = new([Scope]);

    private readonly TokenCredential _credential;
    private readonly string _user;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timer;

    // Weak, so a multiplexer the app drops is not kept alive by its authenticator.
    private readonly ConditionalWeakTable<ConnectionMultiplexer, Authenticated> _multiplexers = new();

    private volatile CurrentToken? _token;
    private int _renewing;

    /// <summary>Token sign-in for <paramref name="user"/> (the identity's object id) with tokens from <paramref name="credential"/>.</summary>
    public RedisEntraAuthentication(TokenCredential credential, string user, TimeProvider timeProvider, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _credential = credential;
        _user = user;
        _time = timeProvider;
        _logger = logger ?? NullLogger.Instance;
        _timer = timeProvider.CreateTimer(_ => RenewInBackground(scheduled: true), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Turns token sign-in on for <paramref name="configuration"/> when <paramref name="options"/> name an identity
    /// (<see cref="RedisOptions.PrincipalId"/>); without one the connection string is used as it is and null is returned.
    /// </summary>
    public static RedisEntraAuthentication? Configure(ConfigurationOptions configuration, RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.PrincipalId))
        {
            return null;
        }

        // Same choice as the storage clients: the user-assigned identity named by its client id, else the default chain.
        TokenCredential credential = string.IsNullOrWhiteSpace(options.ClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
        var authentication = new RedisEntraAuthentication(
            credential, options.PrincipalId, TimeProvider.System, configuration.LoggerFactory?.CreateLogger<RedisEntraAuthentication>());
        authentication.Attach(configuration);
        return authentication;
    }

    /// <summary>
    /// Fetches the first token and makes <paramref name="configuration"/> sign in with it. A credential that fails
    /// here does not fail the app: the connection retries in the background and a token is asked for again.
    /// </summary>
    public void Attach(ConfigurationOptions configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        try
        {
            // The multiplexer is built in a synchronous DI factory and connects synchronously; GetToken is the
            // credential's own synchronous path (not a blocked async call), and the handshake needs the token first.
            using var timeout = new CancellationTokenSource(TokenTimeout, _time);
            Adopt(_credential.GetToken(Request, timeout.Token), scheduled: true);
        }
        catch (Exception ex)
        {
            // Any credential failure (no identity endpoint yet, a timeout, a denied request) is retried the same way.
            LogTokenFailed(_logger, ex, RetryDelay.TotalSeconds);
            Schedule(RetryDelay);
        }

        configuration.Defaults = this;
    }

    /// <summary>The Redis user name: the identity's object (principal) id.</summary>
    public override string? User => _user;

    /// <summary>The current token. Read by every connection handshake, so reconnects sign in with the newest token.</summary>
    public override string? Password
    {
        get
        {
            var token = _token;
            if (token is null || token.ExpiresOn <= _time.GetUtcNow())
            {
                // The handshake cannot wait for a token; start a renewal so the next attempt has one.
                RenewInBackground(scheduled: false);
            }

            return token?.Value;
        }
    }

    /// <summary>Keeps <paramref name="multiplexer"/> to re-authenticate its live connections when the token changes.</summary>
    public override Task AfterConnectAsync(ConnectionMultiplexer multiplexer, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        if (_multiplexers.TryAdd(multiplexer, new Authenticated(_token?.Value)))
        {
            multiplexer.ConnectionFailed += OnConnectionFailed;
        }

        return base.AfterConnectAsync(multiplexer, log);
    }

    /// <summary>Stops renewing.</summary>
    public void Dispose() => _timer.Dispose();

    // Any lost connection (cut by the server at token expiry or revocation, a failover, a network blip) asks the
    // credential again before the reconnect: a rejected reconnect raises no event of its own, so this is the moment.
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) => RenewInBackground(scheduled: false);

    private void RenewInBackground(bool scheduled) => _ = RenewAsync(scheduled);

    private async Task RenewAsync(bool scheduled)
    {
        if (Interlocked.Exchange(ref _renewing, 1) == 1)
        {
            if (scheduled)
            {
                // The running check may not reschedule (it does not own the schedule); the timer must not be lost.
                Schedule(RetryDelay);
            }

            return;
        }

        try
        {
            AccessToken fresh;
            try
            {
                using var timeout = new CancellationTokenSource(TokenTimeout, _time);
                fresh = await _credential.GetTokenAsync(Request, timeout.Token);
            }
            catch (Exception ex)
            {
                LogTokenFailed(_logger, ex, RetryDelay.TotalSeconds);
                Schedule(RetryDelay);
                return;
            }

            Adopt(fresh, scheduled);
            if (!await ReauthenticateAsync())
            {
                Schedule(RetryDelay);
            }
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }

    private void Adopt(AccessToken fresh, bool scheduled)
    {
        var now = _time.GetUtcNow();
        var current = _token;
        if (current is not null && string.Equals(current.Value, fresh.Token, StringComparison.Ordinal))
        {
            // The credential served its cached token. An unscheduled check leaves the schedule alone; a scheduled one
            // that is due asks again at a quarter of what is left, so it neither spins nor sleeps past the expiry.
            if (scheduled)
            {
                var left = current.ExpiresOn - now;
                Schedule(now < current.RenewAt ? current.RenewAt - now : left / 4 > RetryDelay ? left / 4 : RetryDelay);
            }

            return;
        }

        var renewAt = now + ((fresh.ExpiresOn - now) * RenewAtFractionOfLifetime);
        if (fresh.RefreshOn is { } refreshOn && refreshOn < renewAt)
        {
            renewAt = refreshOn;
        }

        _token = new CurrentToken(fresh.Token, fresh.ExpiresOn, renewAt);
        LogTokenAcquired(_logger, fresh.ExpiresOn, renewAt);
        Schedule(renewAt - now);
    }

    /// <summary>Sends AUTH with the current token on every live connection that has an older one; false if any failed.</summary>
    private async Task<bool> ReauthenticateAsync()
    {
        var token = _token;
        if (token is null)
        {
            return true;
        }

        var allDone = true;
        foreach (var (multiplexer, authenticated) in _multiplexers)
        {
            if (string.Equals(authenticated.Token, token.Value, StringComparison.Ordinal))
            {
                continue;
            }

            var done = true;
            foreach (var server in multiplexer.GetServers())
            {
                // A disconnected server signs in with the new token when it reconnects; queueing AUTH for it would wait.
                if (!server.IsConnected)
                {
                    continue;
                }

                try
                {
                    await server.ExecuteAsync("AUTH", _user, token.Value);
                }
                catch (ObjectDisposedException)
                {
                    _multiplexers.Remove(multiplexer);
                    done = false;
                    break;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    // The connection keeps its old sign-in until that token expires; the retry comes well before.
                    LogReauthenticationFailed(_logger, ex, server.EndPoint.ToString() ?? "?");
                    done = false;
                    allDone = false;
                }
            }

            if (done)
            {
                authenticated.Token = token.Value;
            }
        }

        return allDone;
    }

    private void Schedule(TimeSpan due) =>
        _timer.Change(due > MinimumDelay ? due : MinimumDelay, Timeout.InfiniteTimeSpan);

    [LoggerMessage(LogLevel.Information, "Redis Entra ID token acquired; expires {ExpiresOn:O}, renewal due {RenewAt:O}")]
    private static partial void LogTokenAcquired(ILogger logger, DateTimeOffset expiresOn, DateTimeOffset renewAt);

    [LoggerMessage(LogLevel.Error, "Redis Entra ID token could not be acquired; retrying in {RetrySeconds} s")]
    private static partial void LogTokenFailed(ILogger logger, Exception exception, double retrySeconds);

    [LoggerMessage(LogLevel.Warning, "Redis connection to {Endpoint} could not be re-authenticated with the new token; retrying")]
    private static partial void LogReauthenticationFailed(ILogger logger, Exception exception, string endpoint);

    private sealed record CurrentToken(string Value, DateTimeOffset ExpiresOn, DateTimeOffset RenewAt);

    // Which token a multiplexer's live connections last signed in with.
    private sealed class Authenticated(string? token)
    {
        public string? Token { get; set; } = token;
    }
}
