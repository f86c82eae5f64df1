using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Jobs;

/// <summary>
/// The jobs table (source of truth for every job and lane, so job state survives a Redis restart: jobs keep nothing
/// in Redis) and the runner's queue. Created on first use, so an app that never submits a job never touches them.
/// </summary>
public sealed class JobStore
{
    private readonly Lock _gate = new();
    private Task? _created;

    /// <summary>Clients for <see cref="JobOptions.Table"/> and <see cref="JobOptions.Queue"/>.</summary>
    public JobStore(StorageClients storage, IOptions<JobOptions> options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(options);
        Table = storage.Tables.GetTableClient(options.Value.Table);
        Queue = storage.Queues.GetQueueClient(options.Value.Queue);
    }

    /// <summary>Jobs (partition = job id) and lanes (partition = <c>lane-…</c>).</summary>
    public TableClient Table { get; }

    /// <summary>One message per reason to look at a job: <c>{"jobId": "..."}</c>.</summary>
    public QueueClient Queue { get; }

    /// <summary>Creates the table and queue once per process; a failed attempt is retried by the next caller.</summary>
    public Task EnsureCreatedAsync(CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = Task.WhenAll(Table.CreateIfNotExistsAsync(ct), Queue.CreateIfNotExistsAsync(cancellationToken: ct));
            }

            return _created;
        }
    }

    /// <summary>The job, or null.</summary>
    public async Task<JobRecord?> GetAsync(string id, CancellationToken ct = default)
    {
        await EnsureCreatedAsync(ct);
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(id, JobRecord.RowKey, cancellationToken: ct);
        return response.HasValue ? JobRecord.FromEntity(response.Value!) : null;
    }

    /// <summary>Inserts a new job; false when a job with that id exists.</summary>
    public async Task<JobRecord?> TryInsertAsync(JobRecord job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        await EnsureCreatedAsync(ct);
        var entity = job.ToEntity();
        var writeId = OwnWrites.Tag(entity);
        try
        {
            var response = await Table.AddEntityAsync(entity, ct);
            return job with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Our own insert, met by the SDK's retry, is ours: taken for another submission's, the job would answer
            // 200 to its first submitter and, marked enqueued with no message sent, wait for the sweep.
            return await OwnWrites.OwnRowAsync(Table, job.Id, JobRecord.RowKey, writeId, ct) is { } own ? JobRecord.FromEntity(own) : null;
        }
    }

    /// <summary>Replaces the job if nobody changed it since it was read; null when someone did (or it was purged).</summary>
    public async Task<JobRecord?> TryReplaceAsync(JobRecord job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            var response = await Table.UpdateEntityAsync(job.ToEntity(), job.ETag, TableUpdateMode.Replace, ct);
            return job with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    /// <summary>Deletes the job if unchanged since read; false otherwise.</summary>
    public async Task<bool> TryDeleteAsync(JobRecord job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            await Table.DeleteEntityAsync(job.Id, JobRecord.RowKey, job.ETag, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>Jobs matching an OData filter on job rows (a scan: for admin listing and the sweep).</summary>
    public async IAsyncEnumerable<JobRecord> QueryAsync(string filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await EnsureCreatedAsync(ct);
        await foreach (var entity in Table.QueryAsync<TableEntity>($"RowKey eq '{JobRecord.RowKey}' and ({filter})", cancellationToken: ct))
        {
            yield return JobRecord.FromEntity(entity);
        }
    }

    /// <summary>Puts a message for the job on the runner's queue, hidden for <paramref name="delay"/>.</summary>
    public async Task EnqueueAsync(string jobId, TimeSpan delay, CancellationToken ct = default)
    {
        await EnsureCreatedAsync(ct);
        var visibility = delay <= TimeSpan.Zero ? (TimeSpan?)null : delay > MaxVisibility ? MaxVisibility : delay;
        await Queue.SendMessageAsync(JsonSerializer.Serialize(new JobMessage(jobId)), visibility, cancellationToken: ct);
    }

    // Storage queues hide a message for at most 7 days; a longer wait is re-enqueued by the runner when it arrives.
    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);
}

/// <summary>The runner's queue message: which job to look at. Everything else is read from the table.</summary>
/// <param name="JobId">The job.</param>
public sealed record JobMessage(string JobId)
{
    /// <summary>The message, or null when it is not one (a poison case).</summary>
    public static JobMessage? Parse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("JobId", out var id) && id.ValueKind == JsonValueKind.String && JobIds.IsValid(id.GetString())
                ? new JobMessage(id.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
