using System.Collections.Concurrent;

namespace Serverless.Tests.Foundation.DurableSamples;

/// <summary>A singleton in the app container: activities record their runs so tests can count executions.</summary>
public sealed class ActivityRunLog
{
    private readonly ConcurrentDictionary<string, int> _runs = new(StringComparer.Ordinal);

    public int Record(string key) => _runs.AddOrUpdate(key, 1, (_, count) => count + 1);

    public int Runs(string key) => _runs.TryGetValue(key, out var count) ? count : 0;
}
