using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Serverless.Core.Storage;

namespace Serverless.Core.Search.Index;

/// <summary>Index snapshots in Blob storage, so a cold instance downloads a recent index instead of rebuilding from the catalog.</summary>
public sealed class IndexSnapshots(StorageClients storage, IOptions<SearchOptions> options)
{
    private const string BlobName = "snapshot.zip";
    private readonly BlobContainerClient _container = storage.Blobs.GetBlobContainerClient(options.Value.SnapshotContainer);

    /// <summary>Uploads a snapshot of <paramref name="index"/>; returns the catalog version it holds.</summary>
    public async Task<long> UploadAsync(SearchIndex index, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var file = Path.GetTempFileName();
        try
        {
            long version;
            string changeId;
            await using (var zip = File.Create(file))
            {
                (version, changeId) = index.WriteSnapshot(zip);
            }

            await using var upload = File.OpenRead(file);
            await _container.GetBlobClient(BlobName).UploadAsync(upload, new BlobUploadOptions
            {
                Metadata = new Dictionary<string, string>
                {
                    ["version"] = version.ToString(CultureInfo.InvariantCulture),
                    ["changeid"] = changeId,
                },
            }, cancellationToken);
            return version;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The latest snapshot, or null when there is none.</summary>
    public async Task<Snapshot?> TryDownloadAsync(CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(BlobName);
        if (!(await _container.ExistsAsync(cancellationToken)).Value || !(await blob.ExistsAsync(cancellationToken)).Value)
        {
            return null;
        }

        var content = new MemoryStream();
        var download = await blob.DownloadToAsync(content, cancellationToken);
        var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        content.Position = 0;
        var metadata = properties.Value.Metadata;
        return download.Status / 100 == 2
            ? new Snapshot(content, long.Parse(metadata["version"], CultureInfo.InvariantCulture), metadata["changeid"])
            : null;
    }

    /// <summary>A downloaded snapshot: the zipped index and the change-log position it reflects.</summary>
    /// <param name="Zip">The zipped index files.</param>
    /// <param name="Version">Catalog version.</param>
    /// <param name="ChangeId">Last change-log entry applied.</param>
    public sealed record Snapshot(Stream Zip, long Version, string ChangeId);
}
