using System.IO.Compression;
using Lucene.Net.Analysis;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Store;
using Microsoft.Extensions.Options;
using Serverless.Core.Search.Catalog;
using Serverless.Core.Search.Query;
using Serverless.Core.Telemetry;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Serverless.Core.Search.Index;

/// <summary>
/// This instance's Lucene index of the catalog, kept current by <see cref="IndexSynchronizer"/>. Searching is
/// in-process (no network hop); the cache in front of it keeps repeated queries off it entirely.
/// </summary>
public sealed class SearchIndex : ISearchEngine, IDisposable
{
    private readonly Analyzer _analyzer = SearchAnalyzers.Create();
    private readonly string _root;
    private readonly bool _ownsRoot;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Threading.Lock _writeLock = new();
    private LuceneDirectory? _directory;
    private string? _folder;
    private IndexWriter? _writer;
    private SnapshotDeletionPolicy? _snapshots;
    private SearcherManager? _searchers;
    private long _searchCount;

    // Times of timed deletes this index applied, so an older upsert logged after the delete (two indexers racing)
    // stays out, as the Table's tombstone keeps it out there. Kept in memory only: a rebuild or snapshot starts from
    // the Table or an index that already has the delete, and only entries logged after that are replayed.
    private readonly Dictionary<string, long> _tombstones = new(StringComparer.Ordinal);

    /// <summary>Creates an unopened index under the configured (or a temp) folder.</summary>
    public SearchIndex(IOptions<SearchOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ownsRoot = options.Value.IndexDirectory is not { Length: > 0 };
        _root = _ownsRoot
            ? Path.Combine(Path.GetTempPath(), "serverless-index", Guid.NewGuid().ToString("N"))
            : options.Value.IndexDirectory!;
    }

    /// <summary>Catalog version the index reflects.</summary>
    public long Version { get; private set; }

    /// <summary>Last change-log entry applied.</summary>
    public string LastChangeId { get; private set; } = "0-0";

    /// <summary>Completes once the index is open and loaded.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Number of searches that reached the index (cache misses).</summary>
    public long SearchCount => Interlocked.Read(ref _searchCount);

    /// <summary>Documents in the index.</summary>
    public int DocumentCount
    {
        get
        {
            var searcher = Searchers.Acquire();
            try
            {
                return searcher.IndexReader.NumDocs;
            }
            finally
            {
                Searchers.Release(searcher);
            }
        }
    }

    private SearcherManager Searchers => _searchers ?? throw new InvalidOperationException("The index is not open yet.");

    /// <summary>Opens (or replaces) the index with the files in <paramref name="snapshotZip"/>, or empty when null.</summary>
    public void Open(Stream? snapshotZip, long version, string lastChangeId)
    {
        var next = Generation.Create(_root, _analyzer, snapshotZip);
        Publish(next, version, lastChangeId);
    }

    /// <summary>
    /// Opens (or replaces) the index with <paramref name="products"/>. Searches keep using the previous index until
    /// every product is in: a half-loaded index would be cached under the new version and served from there.
    /// </summary>
    public async Task RebuildAsync(IAsyncEnumerable<Product> products, long version, string lastChangeId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(products);
        var next = Generation.Create(_root, _analyzer, snapshotZip: null);
        try
        {
            await foreach (var product in products.WithCancellation(cancellationToken))
            {
                next.Writer.UpdateDocument(new Term(ProductDocuments.Id, product.Id), ProductDocuments.ToDocument(product));
            }

            next.Writer.Commit();
        }
        catch
        {
            next.Dispose();
            throw;
        }

        Publish(next, version, lastChangeId);
    }

    private void Publish(Generation next, long version, string lastChangeId)
    {
        lock (_writeLock)
        {
            CloseCore();
            if (_folder is not null)
            {
                // The replaced index is not needed any more: a reload starts from the snapshot or the catalog.
                System.IO.Directory.Delete(_folder, recursive: true);
            }

            (_folder, _directory, _snapshots, _writer) = (next.Folder, next.Directory, next.Snapshots, next.Writer);
            _searchers = new SearcherManager(_writer, applyAllDeletes: true, searcherFactory: null);
            Version = version;
            LastChangeId = lastChangeId;
        }

        _ready.TrySetResult();
    }

    /// <summary>Applies one logged change and makes it searchable.</summary>
    public void Apply(CatalogChange change, long version, string changeId) => Apply([(change, version, changeId)]);

    /// <summary>Applies logged changes in order and makes them searchable with one refresh.</summary>
    public void Apply(IReadOnlyList<(CatalogChange Change, long Version, string ChangeId)> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return;
        }

        lock (_writeLock)
        {
            var writer = _writer ?? throw new InvalidOperationException("The index is not open yet.");
            // Two indexers racing can log an older product after a newer one (each wrote the Table in the right order,
            // but appended in the other): the index keeps the later UpdatedAt, as the Table does, whatever the log order.
            var indexed = Searchers.Acquire();
            try
            {
                var inBatch = new Dictionary<string, long?>(StringComparer.Ordinal);
                foreach (var (change, _, _) in changes)
                {
                    foreach (var product in change.Upserts)
                    {
                        var current = inBatch.TryGetValue(product.Id, out var ticks) ? ticks : UpdatedTicks(indexed, product.Id);
                        if (current > product.UpdatedAt.UtcTicks || _tombstones.GetValueOrDefault(product.Id, long.MinValue) >= product.UpdatedAt.UtcTicks)
                        {
                            continue;
                        }

                        writer.UpdateDocument(new Term(ProductDocuments.Id, product.Id), ProductDocuments.ToDocument(product));
                        inBatch[product.Id] = product.UpdatedAt.UtcTicks;
                        _tombstones.Remove(product.Id);
                    }

                    foreach (var id in change.Deletes)
                    {
                        var current = inBatch.TryGetValue(id, out var ticks) ? ticks : UpdatedTicks(indexed, id);
                        if (change.DeletedAt is { } deletedAt)
                        {
                            if (current > deletedAt.UtcTicks)
                            {
                                continue;
                            }

                            _tombstones[id] = Math.Max(deletedAt.UtcTicks, _tombstones.GetValueOrDefault(id, long.MinValue));
                        }

                        writer.DeleteDocuments(new Term(ProductDocuments.Id, id));
                        inBatch[id] = null;
                    }
                }
            }
            finally
            {
                Searchers.Release(indexed);
            }

            Searchers.MaybeRefreshBlocking();
            Version = changes[^1].Version;
            LastChangeId = changes[^1].ChangeId;
        }
    }

    private static long? UpdatedTicks(IndexSearcher searcher, string id)
    {
        var top = searcher.Search(new TermQuery(new Term(ProductDocuments.Id, id)), 1);
        return top.TotalHits == 0 ? null : MultiDocValues.GetNumericValues(searcher.IndexReader, ProductDocuments.UpdatedSort).Get(top.ScoreDocs[0].Doc);
    }

    /// <summary>Loads many products at once (rebuilds), refreshing once at the end.</summary>
    public void AddAll(IEnumerable<Product> products)
    {
        ArgumentNullException.ThrowIfNull(products);
        lock (_writeLock)
        {
            var writer = _writer ?? throw new InvalidOperationException("The index is not open yet.");
            foreach (var product in products)
            {
                writer.UpdateDocument(new Term(ProductDocuments.Id, product.Id), ProductDocuments.ToDocument(product));
            }

            writer.Commit();
            Searchers.MaybeRefreshBlocking();
        }
    }

    /// <summary>Writes a consistent copy of the index as a zip; returns the version and change id it holds.</summary>
    public (long Version, string ChangeId) WriteSnapshot(Stream destination)
    {
        IndexCommit commit;
        long version;
        string changeId;
        lock (_writeLock)
        {
            var writer = _writer ?? throw new InvalidOperationException("The index is not open yet.");
            writer.Commit();
            commit = _snapshots!.Snapshot();
            (version, changeId) = (Version, LastChangeId);
        }

        try
        {
            using var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
            var folder = ((FSDirectory)commit.Directory).Directory.FullName;
            foreach (var file in commit.FileNames)
            {
                zip.CreateEntryFromFile(Path.Combine(folder, file), file, CompressionLevel.Fastest);
            }
        }
        finally
        {
            _snapshots!.Release(commit);
        }

        return (version, changeId);
    }

    /// <inheritdoc />
    public SearchResult Search(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        Interlocked.Increment(ref _searchCount);
        SearchMetrics.IndexSearched();
        var version = Version;
        var lucene = SearchQueries.Build(_analyzer, query);
        if (lucene is null)
        {
            return new SearchResult(query.Text, 0, query.Page, query.Size, [], version);
        }

        var searcher = Searchers.Acquire();
        try
        {
            var depth = query.Page * query.Size;
            var sort = SearchQueries.SortFor(query.Sort);
            var top = sort is null
                ? searcher.Search(lucene, depth)
                : searcher.Search(lucene, null, depth, sort, doDocScores: true, doMaxScore: false);
            var hits = top.ScoreDocs.Skip((query.Page - 1) * query.Size)
                .Select(d => ProductDocuments.ToHit(searcher.Doc(d.Doc), d.Score))
                .ToList();
            return new SearchResult(query.Text, top.TotalHits, query.Page, query.Size, hits, version);
        }
        finally
        {
            Searchers.Release(searcher);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_writeLock)
        {
            CloseCore();
        }

        _analyzer.Dispose();
        if (_ownsRoot)
        {
            // A temp index is this instance's cache of the catalog; nobody else will open it. Best effort: a load
            // still finishing in the background may be writing into it while the host shuts down.
            try
            {
                System.IO.Directory.Delete(_root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private sealed record Generation(string Folder, LuceneDirectory Directory, SnapshotDeletionPolicy Snapshots, IndexWriter Writer) : IDisposable
    {
        public static Generation Create(string root, Analyzer analyzer, Stream? snapshotZip)
        {
            var folder = Path.Combine(root, Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(folder);
            if (snapshotZip is not null)
            {
                ZipFile.ExtractToDirectory(snapshotZip, folder);
            }

            var directory = FSDirectory.Open(folder);
            var snapshots = new SnapshotDeletionPolicy(new KeepOnlyLastCommitDeletionPolicy());
            var config = new IndexWriterConfig(SearchAnalyzers.Version, analyzer) { OpenMode = OpenMode.CREATE_OR_APPEND, IndexDeletionPolicy = snapshots };
            var writer = new IndexWriter(directory, config);
            writer.Commit();
            return new Generation(folder, directory, snapshots, writer);
        }

        public void Dispose()
        {
            Writer.Dispose();
            Directory.Dispose();
            System.IO.Directory.Delete(Folder, recursive: true);
        }
    }

    private void CloseCore()
    {
        _searchers?.Dispose();
        _writer?.Dispose();
        _directory?.Dispose();
        (_searchers, _writer, _directory) = (null, null, null);
    }
}
