using Azure;
using Azure.Data.Tables;

namespace Serverless.Core.Locking;

/// <summary>A Table-storage table created on first use, with an ETag-guarded read-modify-write of one row.</summary>
internal sealed class GuardedTable(TableServiceClient service, string name)
{
    private Task<TableClient>? _created;

    // Not a Lazy<Task>: that keeps a failed creation (storage down at the first call) and fails every later call too.
    public Task<TableClient> GetAsync()
    {
        var current = Volatile.Read(ref _created);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            var fresh = CreateAsync();
            current = Interlocked.CompareExchange(ref _created, fresh, current) == current ? fresh : Volatile.Read(ref _created)!;
        }

        return current;
    }

    /// <summary>
    /// Reads a row (null when absent) and lets <paramref name="decide"/> pick what to write (null: nothing). The write
    /// lands only on the version read; when someone wrote in between, it reads and decides again.
    /// </summary>
    public async Task<T> UpdateAsync<T>(
        string partition, string row, Func<TableEntity?, (TableEntity? Write, T Result)> decide, CancellationToken cancellationToken)
    {
        var table = await GetAsync();
        while (true)
        {
            var found = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken);
            var current = found.HasValue ? found.Value : null;
            var (write, result) = decide(current);
            if (write is null)
            {
                return result;
            }

            try
            {
                if (current is null)
                {
                    await table.AddEntityAsync(write, cancellationToken);
                }
                else
                {
                    await table.UpdateEntityAsync(write, current.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return result;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Someone wrote between our read and our write (created the row, or changed its version): decide again.
            }
        }
    }

    private async Task<TableClient> CreateAsync()
    {
        var table = service.GetTableClient(name);
        await table.CreateIfNotExistsAsync();
        return table;
    }
}
