namespace Serverless.EndToEnd.Host;

/// <summary>
/// Polls an observable effect (a queue, a search result, a table row) until it holds: the effect is what the test
/// asserts, and the deadline is sized for a busy machine, never a fixed sleep.
/// </summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var ct = Xunit.TestContext.Current.CancellationToken;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not within {timeout.TotalSeconds:F0} s: {what} (last seen: {value})");
            }

            await Task.Delay(200, ct);
        }
    }
}
