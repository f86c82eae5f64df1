using Serverless.Bench.Cluster;
using Serverless.Bench.Dispatch;
using Serverless.Bench.Eviction;
using Serverless.Bench.Jobs;
using Serverless.Bench.Locks;
using Serverless.Bench.Peers;
using Serverless.Bench.Records;
using Serverless.Bench.Search;
using Serverless.Bench.Sessions;
using Serverless.Bench.Telemetry;
using Serverless.Bench.Transactions;

// dotnet run -c Release --project bench -- <scenario> [seconds per measurement]
var scenarios = new Dictionary<string, Func<TimeSpan, Task>>(StringComparer.OrdinalIgnoreCase)
{
    ["sessions"] = SessionBench.RunAsync,
    ["search"] = SearchBench.RunAsync,
    ["dispatch"] = DispatchBench.RunAsync,
    ["hashing"] = HashingBench.RunAsync,
    ["locks"] = LockBench.RunAsync,
    ["transactions"] = TransactionBench.RunAsync,
    ["cluster"] = ClusterBench.RunAsync,
    ["peers"] = PeersBench.RunAsync,
    ["telemetry"] = TelemetryBench.RunAsync,
    ["eviction"] = EvictionBench.RunAsync,
    ["records"] = RecordBench.RunAsync,
    ["jobs"] = JobBench.RunAsync,
};

var name = args.FirstOrDefault();
if (name is null || !scenarios.TryGetValue(name, out var run))
{
    Console.Error.WriteLine($"usage: dotnet run -c Release --project bench -- <{string.Join('|', scenarios.Keys)}> [seconds]");
    return 2;
}

var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
await run(TimeSpan.FromSeconds(seconds));
return 0;
