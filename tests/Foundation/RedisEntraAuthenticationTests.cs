using System.Globalization;
using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serverless.Core.Hosting;
using Serverless.Core.Redis;
using Serverless.Testing;
using StackExchange.Redis;
using Xunit;

namespace Serverless.Tests.Foundation;

/// <summary>
/// Entra ID token sign-in against a real redis-server whose ACL user takes the token as its password, the way
/// Azure Managed Redis does: the password is rotated to the next token while the app is connected.
/// </summary>
public sealed class RedisEntraAuthenticationTests
{
    private const string User = "11111111-2222-3333-4444-555555555555";

    // Generous for a busy 2-core machine: a reconnect normally takes well under a second.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task ReconnectAfterRotationSignsInWithTheNextToken()
    {
        await using var server = await AclRedis.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var credential = new RotatingCredential(time, "token-1", TimeSpan.FromHours(1));
        await server.SetPasswordAsync(User, "token-1");
        using var authentication = new RedisEntraAuthentication(credential, User, time);
        await using var app = await ConnectAsync(server, authentication);
        var db = app.GetDatabase();
        await db.StringSetAsync("before", "1");

        credential.Current = "token-2";
        await server.SetPasswordAsync(User, "token-2");
        var killed = await server.KillClientsOfAsync(User);

        Assert.True(killed > 0, "CLIENT KILL USER found no connection of the app to cut.");
        await EventuallyAsync(async () => await db.StringSetAsync("after", "2"), "the app writes again after its connections were cut");
        Assert.Equal("2", (string?)await db.StringGetAsync("after"));
        Assert.Equal("token-2", authentication.Password);
        Assert.NotEmpty(await server.ClientIdsOfAsync(User));
    }

    [Fact(Timeout = 60_000)]
    public async Task RenewalBeforeExpirySignsLiveConnectionsInWithTheNextToken()
    {
        await using var server = await AclRedis.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var lifetime = TimeSpan.FromMinutes(40);
        var credential = new RotatingCredential(time, "token-1", lifetime);
        await server.SetPasswordAsync(User, "token-1");
        using var authentication = new RedisEntraAuthentication(credential, User, time);
        await using var app = await ConnectAsync(server, authentication);
        await app.GetDatabase().PingAsync();
        var connections = await server.ClientIdsOfAsync(User);
        var (authsBefore, failedBefore) = await server.AuthStatsAsync();

        // Live connections stay signed in when the password changes, so only an AUTH sent by the app uses token 2.
        credential.Current = "token-2";
        await server.SetPasswordAsync(User, "token-2");
        time.Advance(lifetime * 0.7);
        Assert.Equal(1, credential.Calls);

        time.Advance(lifetime * 0.1);
        await EventuallyAsync(async () => (await server.AuthStatsAsync()).Calls > authsBefore, "the app sends AUTH before its token expires");

        Assert.Equal(2, credential.Calls);
        Assert.Equal(failedBefore, (await server.AuthStatsAsync()).Failed);
        Assert.Equal(connections, await server.ClientIdsOfAsync(User));
        Assert.Equal("token-2", authentication.Password);
        await app.GetDatabase().StringSetAsync("renewed", "1");
    }

    [Fact]
    public void WithoutIdentitySettingsTheConnectionStringSignsInAsItIs()
    {
        var config = ConfigurationOptions.Parse("127.0.0.1:1,password=local-secret");

        var authentication = RedisEntraAuthentication.Configure(config, new RedisOptions { ConnectionString = "127.0.0.1:1,password=local-secret" });

        Assert.Null(authentication);
        Assert.Equal("local-secret", config.Password);
        Assert.IsNotType<RedisEntraAuthentication>(config.Defaults);
    }

    [Fact(Timeout = 10_000)]
    public async Task ClientIdWithoutPrincipalIdFailsStartupNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new()
        {
            ["Redis:ConnectionString"] = "127.0.0.1:1",
            ["Redis:ClientId"] = "00000000-0000-0000-0000-000000000001",
        }));

        Assert.Contains("Redis__PrincipalId", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task PasswordBesideTokenSignInFailsStartup()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new()
        {
            ["Redis:ConnectionString"] = "127.0.0.1:1,password=access-key",
            ["Redis:PrincipalId"] = User,
        }));

        Assert.Contains("remove the password", error.Message, StringComparison.Ordinal);
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(AclRedis server, RedisEntraAuthentication authentication)
    {
        // The provider defaults to TLS (Azure Managed Redis); the local server speaks plain TCP.
        var config = ConfigurationOptions.Parse($"127.0.0.1:{server.Port},ssl=false,abortConnect=false");
        authentication.Attach(config);
        var app = await ConnectionMultiplexer.ConnectAsync(config);
        Assert.True(app.IsConnected, $"The app did not sign in with the first token: {app.GetStatus()}");
        return app;
    }

    private static async Task StartAsync(Dictionary<string, string?> settings)
    {
        settings["AzureWebJobsStorage"] = "UseDevelopmentStorage=true";
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddServerless(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Settle;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                last = ex;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"Not within {Settle.TotalSeconds:F0} s: {what}. Last error: {last?.Message ?? "none"}");
    }

    /// <summary>Hands out whatever token the test names as current, valid for a fixed lifetime from now.</summary>
    private sealed class RotatingCredential(TimeProvider time, string first, TimeSpan lifetime) : TokenCredential
    {
        private int _calls;

        public string Current { get; set; } = first;

        public int Calls => Volatile.Read(ref _calls);

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Assert.Equal([RedisEntraAuthentication.Scope], requestContext.Scopes);
            Interlocked.Increment(ref _calls);
            return new AccessToken(Current, time.GetUtcNow() + lifetime);
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>
    /// A redis-server of this test's own with an admin connection to steer its ACL users. Its default user is off, as on
    /// Azure: a connection that fails to sign in must not fall back to an open default user.
    /// </summary>
    private sealed class AclRedis : IAsyncDisposable
    {
        private const string Admin = "test-admin";
        private const string AdminPassword = "test-admin-secret";

        private readonly OwnRedisServer _server;
        private readonly ConnectionMultiplexer _admin;

        private AclRedis(OwnRedisServer server, ConnectionMultiplexer admin)
        {
            _server = server;
            _admin = admin;
        }

        public int Port => _server.Port;

        private IServer Server => _admin.GetServer("127.0.0.1", Port);

        public static async Task<AclRedis> StartAsync()
        {
            var server = await OwnRedisServer.StartAsync(
                extraArguments: ["--user", "default", "off", "--user", Admin, "on", ">" + AdminPassword, "~*", "&*", "+@all"]);
            try
            {
                var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},user={Admin},password={AdminPassword},allowAdmin=true");
                return new AclRedis(server, admin);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        /// <summary>Makes <paramref name="password"/> the user's only password, as a new token replaces the old.</summary>
        public Task SetPasswordAsync(string user, string password) =>
            Server.ExecuteAsync("ACL", "SETUSER", user, "on", "resetpass", ">" + password, "~*", "&*", "+@all");

        public async Task<int> KillClientsOfAsync(string user) =>
            (int)await Server.ExecuteAsync("CLIENT", "KILL", "USER", user);

        public async Task<IReadOnlyList<long>> ClientIdsOfAsync(string user)
        {
            var clients = await Server.ClientListAsync();
            return [.. clients.Where(c => string.Equals(Field(c.Raw, "user"), user, StringComparison.Ordinal)).Select(c => c.Id).Order()];
        }

        /// <summary>AUTH calls the server has run, and how many of them it refused.</summary>
        public async Task<(long Calls, long Failed)> AuthStatsAsync()
        {
            var stats = await Server.InfoRawAsync("commandstats") ?? "";
            var line = stats.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("cmdstat_auth:", StringComparison.Ordinal));
            if (line is null)
            {
                return (0, 0);
            }

            return (Number(line, "calls"), Number(line, "failed_calls"));
        }

        public async ValueTask DisposeAsync()
        {
            await _admin.DisposeAsync();
            await _server.DisposeAsync();
        }

        private static string? Field(string? raw, string name) =>
            raw?.Split(' ').Select(p => p.Split('=', 2)).FirstOrDefault(p => p.Length == 2 && p[0] == name)?[1];

        private static long Number(string line, string name)
        {
            var value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(',')
                .Select(p => p.Split('=', 2)).FirstOrDefault(p => p.Length == 2 && p[0] == name)?[1];
            return value is null ? 0 : long.Parse(value, CultureInfo.InvariantCulture);
        }
    }
}
