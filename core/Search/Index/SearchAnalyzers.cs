using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Cn.Smart;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Util;

namespace Serverless.Core.Search.Index;

/// <summary>Per-field analysis: SmartCn (word segmentation) for *_zh fields, English (Porter stemming, stop words) for the rest.</summary>
internal static class SearchAnalyzers
{
    public const LuceneVersion Version = LuceneVersion.LUCENE_48;

    public static Analyzer Create()
    {
        var chinese = new SmartChineseAnalyzer(Version);
        var perField = ProductDocuments.ChineseFields.ToDictionary(f => f, _ => (Analyzer)chinese);
        return new PerFieldAnalyzerWrapper(new EnglishAnalyzer(Version), perField);
    }

    /// <summary>The terms <paramref name="analyzer"/> produces for <paramref name="text"/> in <paramref name="field"/>.</summary>
    public static List<string> Terms(Analyzer analyzer, string field, string text)
    {
        var terms = new List<string>();
        using var stream = analyzer.GetTokenStream(field, new StringReader(text));
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            terms.Add(term.ToString());
        }

        stream.End();
        return terms.Distinct(StringComparer.Ordinal).ToList();
    }
}
