namespace Serverless.Core.Caching;

/// <summary>One invalidation as this instance received it, for measuring how long other instances' L1 lags a write.</summary>
/// <param name="Cache">The cache (collection) name.</param>
/// <param name="Key">The key written.</param>
/// <param name="Version">The version written.</param>
/// <param name="PublishedAt">When the writer published it (the writer's clock).</param>
/// <param name="DroppedAt">When this instance had dropped older L1 entries (this instance's clock).</param>
public sealed record L1Drop(string Cache, string Key, long Version, DateTimeOffset PublishedAt, DateTimeOffset DroppedAt);
