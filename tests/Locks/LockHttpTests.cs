using Serverless.Testing;
using Serverless.Testing.Durable;
using Xunit;
using static Serverless.Testing.ActionResults;

namespace Serverless.Tests.Locks;

[RedisBacked]
[Collection(DurableCollection.Name)]
public sealed class LockHttpTests(ServicesFixture services, LockHttpTests.Fixture fixture) : IClassFixture<LockHttpTests.Fixture>
{
    [Theory(Timeout = 60_000)]
    [InlineData("redis")]
    [InlineData("entity")]
    public async Task AcquireExtendReleaseRoundTrip(string backend)
    {
        using var app = await LockApp.StartAsync(services);
        var name = "h" + Guid.NewGuid().ToString("N")[..10];

        var acquired = await PostAsync(app, backend, name, "acquire", """{"owner":"alice","leaseMs":30000}""");
        var owner = acquired.Json.GetProperty("owner").GetString();
        var token = acquired.Json.GetProperty("token").GetInt64();
        var busy = await PostAsync(app, backend, name, "acquire", """{"owner":"bob","leaseMs":30000}""");
        var extended = await PostAsync(app, backend, name, "extend", $$"""{"owner":"{{owner}}","token":{{token}},"leaseMs":60000}""");
        var wrongToken = await PostAsync(app, backend, name, "release", $$"""{"owner":"{{owner}}","token":{{token + 7}}}""");
        var view = await GetAsync(app, backend, name);
        var released = await PostAsync(app, backend, name, "release", $$"""{"owner":"{{owner}}","token":{{token}}}""");

        Assert.Equal((200, "Granted"), (acquired.Status, acquired.Json.GetProperty("outcome").GetString()));
        Assert.True(token > 0);
        Assert.Equal(409, busy.Status);
        Assert.True(busy.IsProblem);
        Assert.Equal((200, "Extended"), (extended.Status, extended.Json.GetProperty("outcome").GetString()));
        Assert.Equal(409, wrongToken.Status);
        Assert.True(wrongToken.IsProblem);
        Assert.Equal(200, view.Status);
        Assert.True(view.Json.GetProperty("held").GetBoolean());
        Assert.Equal(token, view.Json.GetProperty("token").GetInt64());
        Assert.False(view.Json.TryGetProperty("owner", out _));
        Assert.Equal(200, released.Status);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("mongo", "acquire", """{"owner":"a","leaseMs":1000}""", 404)]
    [InlineData("redis", "steal", """{"owner":"a","leaseMs":1000}""", 404)]
    [InlineData("redis", "acquire", """{"owner":"a","leaseMs":10}""", 400)]
    [InlineData("entity", "acquire", """{"owner":"a","leaseMs":999999999}""", 400)]
    [InlineData("entity", "acquire", """{"owner":"a"}""", 400)]
    [InlineData("redis", "acquire", """{"owner":"a","leaseMs":1000,"waitMs":-1}""", 400)]
    [InlineData("redis", "acquire", """{"leaseMs":1000}""", 400)]
    [InlineData("redis", "acquire", """{"owner":"a","leaseMs":"soon"}""", 400)]
    [InlineData("redis", "acquire", "[1,2]", 400)]
    [InlineData("redis", "acquire", "", 400)]
    [InlineData("entity", "release", """{"owner":"a"}""", 400)]
    [InlineData("entity", "extend", """{"owner":"a","token":1}""", 400)]
    [InlineData("entity", "release", """{"owner":"a","token":1}""", 409)]
    [InlineData("redis", "extend", """{"owner":"a","token":1,"leaseMs":1000}""", 409)]
    public async Task BadInputIsAProblemAndTakesNoLock(string backend, string action, string body, int status)
    {
        using var app = await LockApp.StartAsync(services);
        var name = "b" + Guid.NewGuid().ToString("N")[..10];

        var response = await PostAsync(app, backend, name, action, body);

        Assert.Equal(status, response.Status);
        Assert.True(response.IsProblem, response.Body);
        if (backend != "mongo")
        {
            Assert.False((await GetAsync(app, backend, name)).Json.GetProperty("held").GetBoolean());
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task BadLockNameAndUnknownBackendOnReadAreProblems()
    {
        using var app = await LockApp.StartAsync(services);

        var badName = await GetAsync(app, "redis", "no spaces please");
        var unknown = await GetAsync(app, "zookeeper", "x");

        Assert.Equal((400, true), (badName.Status, badName.IsProblem));
        Assert.Equal((404, true), (unknown.Status, unknown.IsProblem));
    }

    private async Task<Response> PostAsync(LockApp app, string backend, string name, string action, string body)
    {
        var request = Request("POST", body: body);
        var result = await app.Functions.Act(request, backend, name, action, fixture.Client, TestContext.Current.CancellationToken);
        return await ExecuteAsync(result, request);
    }

    private async Task<Response> GetAsync(LockApp app, string backend, string name)
    {
        var request = Request();
        var result = await app.Functions.Get(request, backend, name, fixture.Client, TestContext.Current.CancellationToken);
        return await ExecuteAsync(result, request);
    }

    public sealed class Fixture(ServicesFixture services) : LocksDurableFixture(services);
}
