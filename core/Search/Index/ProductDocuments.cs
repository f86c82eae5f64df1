using System.Globalization;
using Lucene.Net.Documents;
using Serverless.Core.Search.Catalog;

namespace Serverless.Core.Search.Index;

/// <summary>
/// How a product is laid out in Lucene: every text field is indexed twice, once per analyzer (Chinese word
/// segmentation and English stemming), because a title may be in either language or both.
/// </summary>
internal static class ProductDocuments
{
    public const string Id = "id";
    public const string Category = "category";
    public const string Brand = "brand";
    public const string Price = "price";
    public const string PriceSort = "price_dv";
    public const string UpdatedSort = "updated_dv";
    public static readonly string[] ChineseFields = ["title_zh", "description_zh", "tags_zh"];
    public static readonly string[] EnglishFields = ["title_en", "description_en", "tags_en"];

    public static Document ToDocument(Product p)
    {
        var tags = string.Join(' ', p.Tags);
        var cents = ToCents(p.Price);
        return
        [
            new StringField(Id, p.Id, Field.Store.YES),
            new TextField("title_zh", p.Title, Field.Store.NO),
            new TextField("title_en", p.Title, Field.Store.NO),
            new TextField("description_zh", p.Description, Field.Store.NO),
            new TextField("description_en", p.Description, Field.Store.NO),
            new TextField("tags_zh", tags, Field.Store.NO),
            new TextField("tags_en", tags, Field.Store.NO),
            new StringField(Category, Query.SearchQuery.Normalize(p.Category), Field.Store.NO),
            new StringField(Brand, Query.SearchQuery.Normalize(p.Brand), Field.Store.NO),
            new StoredField("title", p.Title),
            new StoredField("category_display", p.Category),
            new StoredField("brand_display", p.Brand),
            new StoredField("price_text", p.Price.ToString(CultureInfo.InvariantCulture)),
            new Int64Field(Price, cents, Field.Store.NO),
            new NumericDocValuesField(PriceSort, cents),
            new NumericDocValuesField(UpdatedSort, p.UpdatedAt.UtcTicks),
        ];
    }

    public static SearchHit ToHit(Document doc, float score) => new(
        doc.Get(Id),
        doc.Get("title"),
        doc.Get("category_display"),
        doc.Get("brand_display"),
        decimal.Parse(doc.Get("price_text"), CultureInfo.InvariantCulture),
        float.IsNaN(score) ? 0 : score);

    public static long ToCents(decimal price) => (long)decimal.Round(price * 100);
}
