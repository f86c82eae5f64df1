using Azure.Data.Tables;
using Serverless.Core.Storage;
using Serverless.EndToEnd.Host;
using Serverless.Testing;
using Xunit;

namespace Serverless.EndToEnd.Records;

[RedisBacked]
public sealed class RecordEndToEndTests(HostFixture fixture)
{
    // local.settings.sample.json configures "drafts" as a write-behind collection over the default table "records".
    [Fact(Timeout = 90_000)]
    [Covers("PutRecord", "GetRecord", "DeleteRecord")]
    public async Task AWriteBehindRecordIsWrittenReadFromTheCacheFlushedToTheTableByTheHostAndDeleted()
    {
        using var client = fixture.Client();
        var key = $"e2e-{Guid.NewGuid():N}"[..16];
        var path = $"records/drafts/{key}";

        var created = await Answer.SendAsync(client, HttpMethod.Put, path, new { title = "first" });
        Assert.True(created.Status == 201, created.ToString());
        Assert.Equal("\"1\"", created.Header("ETag"));
        var updated = await Answer.SendAsync(client, HttpMethod.Put, path, new { title = "second" }, new Dictionary<string, string> { ["If-Match"] = "\"1\"" });
        Assert.True(updated.Status == 200, updated.ToString());
        var stale = await Answer.SendAsync(client, HttpMethod.Put, path, new { title = "third" }, new Dictionary<string, string> { ["If-Match"] = "\"1\"" });
        Assert.Equal(412, stale.Status);
        Assert.True(stale.IsProblem, stale.ToString());

        var read = await Answer.SendAsync(client, HttpMethod.Get, path);
        Assert.True(read.Status == 200, read.ToString());
        Assert.Equal("second", read.Json.GetProperty("title").GetString());
        Assert.Equal("\"2\"", read.Header("ETag"));
        Assert.Contains(read.Header("X-Cache"), new[] { "hit-l1", "hit-l2" });

        // The host's flusher (a hosted service in the worker) writes the dirty log to the table.
        var table = fixture.Get<StorageClients>().Tables.GetTableClient("records");
        var row = await Eventually.GetAsync(
            async () => (await table.GetEntityIfExistsAsync<TableEntity>("drafts", key, cancellationToken: TestContext.Current.CancellationToken)) is { HasValue: true } r ? r.Value!.GetInt64("Version") : null,
            version => version == 2, TimeSpan.FromSeconds(30), "the write-behind flush of version 2");
        Assert.Equal(2, row);

        Assert.Equal(204, (await Answer.SendAsync(client, HttpMethod.Delete, path)).Status);
        var gone = await Answer.SendAsync(client, HttpMethod.Get, path);
        Assert.Equal(404, gone.Status);
        Assert.True(gone.IsProblem, gone.ToString());
        Assert.Equal(404, (await Answer.SendAsync(client, HttpMethod.Get, "records/no-such-collection/x")).Status);
    }
}
