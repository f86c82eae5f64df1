using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Serverless.Core.Hosting;

namespace Serverless.Core.Storage;

/// <summary>The three Azure Storage service clients, built once from <see cref="StorageOptions"/>.</summary>
public sealed class StorageClients
{
    /// <summary>Builds clients from a connection string or, without one, from the account name and managed identity.</summary>
    public StorageClients(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The Functions queue trigger decodes base64 by default; write what it reads.
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            Blobs = new BlobServiceClient(options.ConnectionString);
            Queues = new QueueServiceClient(options.ConnectionString, queueOptions);
            Tables = new TableServiceClient(options.ConnectionString);
            return;
        }

        TokenCredential credential = string.IsNullOrWhiteSpace(options.ClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
        var account = options.AccountName;
        Blobs = new BlobServiceClient(new Uri($"https://{account}.blob.core.windows.net"), credential);
        Queues = new QueueServiceClient(new Uri($"https://{account}.queue.core.windows.net"), credential, queueOptions);
        Tables = new TableServiceClient(new Uri($"https://{account}.table.core.windows.net"), credential);
    }

    /// <summary>Blob service.</summary>
    public BlobServiceClient Blobs { get; }

    /// <summary>Queue service (messages base64-encoded, as the Functions queue trigger expects).</summary>
    public QueueServiceClient Queues { get; }

    /// <summary>Table service.</summary>
    public TableServiceClient Tables { get; }
}
