using Microsoft.DurableTask;
using Serverless.Core.Transactions;
using Serverless.Orchestrations.Locks;
using Serverless.Orchestrations.Transactions;
using Serverless.Testing;
using Serverless.Testing.Durable;
using Serverless.Tests.Fuzz;
using Xunit;

namespace Serverless.Tests.OpenApi;

/// <summary>
/// Runs every documented example request through its function in-process (the fuzz drivers' calls), against real
/// Redis, Azurite and a durable backend, and judges the answer by the document. A parameter that a documented link
/// supplies (<c>$response.body#/id</c> of CreateSession for GetSession, ...) is taken from running the linking
/// operation's example first, as a client following the links would.
/// </summary>
[RedisBacked]
[Collection(DurableCollection.Name)]
public sealed class OpenApiExampleTests(ServicesFixture services, OpenApiExampleTests.Fixture fixture) : IClassFixture<OpenApiExampleTests.Fixture>
{
    // A relayed answer needs a live target URL in the pool, which a document kept in the repository cannot know.
    private static readonly HashSet<string> NoSuccessWithoutLiveTarget = new(StringComparer.Ordinal) { "DispatchForward" };

    // What an accepted (202) change needs before its link target sees it: a queue message or entity signal applied.
    private static readonly TimeSpan AcceptedPatience = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 120_000)]
    public async Task EveryDocumentedExampleAnswersAsTheDocumentSays()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await FuzzApp.StartAsync(services, ct, new Dictionary<string, string?> { ["Dispatch:AllowedHosts:0"] = "*.internal.example" });
        app.Durable = fixture.Client;
        // The order examples name this stock and account, as a shop's own data would.
        var participants = app.Get<TransactionParticipants>();
        await participants.Inventory.ProvisionAsync("sku-123", 1_000, unitPrice: 250, ct: ct);
        await participants.Payments.ProvisionAsync("acct-42", 1_000_000, ct: ct);

        var model = OpenApiModel.Generated;
        var failures = new List<string>();
        var answers = new List<string>();
        foreach (var operation in model.Operations)
        {
            var (_, response) = await RunAsync(app, model, operation, depth: 0);
            answers.Add($"{operation.OperationId} {response.Status}");
            failures.AddRange(ResponseCheck.Problems(model, operation, response).Select(p => $"{operation.OperationId}: {p}"));
            if (response.Status is < 200 or >= 300 && !NoSuccessWithoutLiveTarget.Contains(operation.Function))
            {
                failures.Add($"{operation.OperationId}: the example answered {response.Status}, not a success: {response.Body}");
            }
        }

        TestContext.Current.TestOutputHelper!.WriteLine($"{answers.Count} examples: {string.Join(", ", answers)}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static async Task<(ExampleRequest Request, ActionResults.Response Response)> RunAsync(FuzzApp app, OpenApiModel model, DocumentedOperation operation, int depth)
    {
        var linked = new Dictionary<string, string>(StringComparer.Ordinal);
        var accepted = false;
        if (depth < 3 && LinkTo(model, operation) is { } link)
        {
            var (sourceRequest, sourceResponse) = await RunAsync(app, model, link.Source, depth + 1);
            accepted = sourceResponse.Status == 202;
            foreach (var (name, expression) in link.Parameters)
            {
                if (sourceRequest.Evaluate(expression, sourceResponse) is { } value)
                {
                    linked[name] = value;
                }
            }
        }

        var example = ExampleRequest.For(model, operation, linked);
        var deadline = DateTime.UtcNow + AcceptedPatience;
        while (true)
        {
            var request = example.ToHttpRequest();
            var result = await FuzzDrivers.All[operation.Function].Invoke(app, request, example.Route);
            var response = await ActionResults.ExecuteAsync(result, request);
            if (!accepted || response.Status is >= 200 and < 300 || DateTime.UtcNow > deadline)
            {
                return (example, response);
            }

            // Polling the effect of an accepted change, with a deadline.
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The first operation (by its lowest status) whose documented links feed <paramref name="target"/>.</summary>
    private static (DocumentedOperation Source, IReadOnlyDictionary<string, string> Parameters)? LinkTo(OpenApiModel model, DocumentedOperation target) =>
        (from source in model.Operations
            from response in source.Operation["responses"]!.AsObject().OrderBy(r => r.Key, StringComparer.Ordinal)
            let links = model.Deref(response.Value!)["links"]?.AsObject()
            where links is not null
            from link in links
            where link.Value!["operationId"]!.GetValue<string>() == target.OperationId
            select ((DocumentedOperation, IReadOnlyDictionary<string, string>)?)(source,
                link.Value!["parameters"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal)))
        .FirstOrDefault();

    public sealed class Fixture(ServicesFixture services) : DurableFixture(services)
    {
        protected override void Register(DurableTaskRegistry registry) => registry.AddLockAndCounterTasks().AddTransactionTasks();
    }
}
