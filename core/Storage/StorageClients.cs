using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Serverless.Core.Hosting;

namespace Serverless.Core.Storage;

/// <summary>The three Azure Storage service clients, built once from <see cref="StorageOptions"/>.</summary>
public sealed class StorageClients
{
    /// <summary>Builds clients with the default <see cref="StorageRetryOptions"/>.</summary>
    public StorageClients(StorageOptions options)
        : this(options, new StorageRetryOptions())
    {
    }

    /// <summary>Builds clients from a connection string or, without one, from the account name and managed identity.</summary>
    public StorageClients(StorageOptions options, StorageRetryOptions retry)
        : this(options, retry, perTry: null)
    {
    }

    // perTry runs inside the retry loop, once per try: what tests use to lose a committed try's answer.
    internal StorageClients(StorageOptions options, StorageRetryOptions retry, HttpPipelinePolicy? perTry)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(retry);
        // The Functions queue trigger decodes base64 by default; write what it reads.
        var queueOptions = Retrying(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, retry, perTry);
        var blobOptions = Retrying(new BlobClientOptions(), retry, perTry);
        var tableOptions = Retrying(new TableClientOptions(), retry, perTry);
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            Blobs = new BlobServiceClient(options.ConnectionString, blobOptions);
            Queues = new QueueServiceClient(options.ConnectionString, queueOptions);
            Tables = new TableServiceClient(options.ConnectionString, tableOptions);
            return;
        }

        TokenCredential credential = string.IsNullOrWhiteSpace(options.ClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
        var account = options.AccountName;
        Blobs = new BlobServiceClient(new Uri($"https://{account}.blob.core.windows.net"), credential, blobOptions);
        Queues = new QueueServiceClient(new Uri($"https://{account}.queue.core.windows.net"), credential, queueOptions);
        Tables = new TableServiceClient(new Uri($"https://{account}.table.core.windows.net"), credential, tableOptions);
    }

    /// <summary>Blob service.</summary>
    public BlobServiceClient Blobs { get; }

    /// <summary>Queue service (messages base64-encoded, as the Functions queue trigger expects).</summary>
    public QueueServiceClient Queues { get; }

    /// <summary>Table service.</summary>
    public TableServiceClient Tables { get; }

    private static T Retrying<T>(T client, StorageRetryOptions retry, HttpPipelinePolicy? perTry) where T : ClientOptions
    {
        if (perTry is not null)
        {
            client.AddPolicy(perTry, HttpPipelinePosition.PerRetry);
        }

        client.Retry.Mode = RetryMode.Exponential;
        client.Retry.MaxRetries = retry.MaxRetries;
        client.Retry.Delay = retry.RetryDelay;
        client.Retry.MaxDelay = retry.MaxRetryDelay;
        client.Retry.NetworkTimeout = retry.NetworkTimeout;
        return client;
    }
}
