namespace Serverless.Core.Search.Catalog;

/// <summary>
/// Deterministic bilingual catalog: the same seed gives the same products, at any size. Roughly half the products
/// are written in Chinese and half in English, with brands and categories shared, so both analyzers get real work.
/// </summary>
public static class ProductGenerator
{
    private sealed record Kind(string CategoryZh, string CategoryEn, string[] NounsZh, string[] NounsEn, decimal MinPrice, decimal MaxPrice);

    private static readonly Kind[] Kinds =
    [
        new("耳机", "Headphones", ["无线蓝牙耳机", "头戴式耳机", "入耳式耳机", "运动耳机"], ["Wireless Bluetooth Headphones", "Over-Ear Headphones", "In-Ear Earbuds", "Sports Earphones"], 99, 2999),
        new("手机", "Phones", ["智能手机", "折叠屏手机", "游戏手机", "老人手机"], ["Smartphone", "Foldable Phone", "Gaming Phone", "Senior Phone"], 599, 12999),
        new("笔记本电脑", "Laptops", ["轻薄笔记本", "游戏本", "商务笔记本", "二合一平板电脑"], ["Ultrabook Laptop", "Gaming Laptop", "Business Notebook", "2-in-1 Tablet Laptop"], 2999, 24999),
        new("咖啡机", "Coffee Makers", ["全自动咖啡机", "胶囊咖啡机", "意式咖啡机", "手冲咖啡壶"], ["Automatic Espresso Machine", "Capsule Coffee Maker", "Espresso Maker", "Pour-Over Coffee Kettle"], 199, 8999),
        new("运动鞋", "Running Shoes", ["跑步鞋", "篮球鞋", "徒步鞋", "训练鞋"], ["Running Shoes", "Basketball Sneakers", "Hiking Boots", "Training Shoes"], 199, 1999),
        new("背包", "Backpacks", ["双肩背包", "电脑背包", "登山包", "旅行箱包"], ["Daypack Backpack", "Laptop Backpack", "Hiking Backpack", "Travel Duffel"], 79, 1599),
    ];

    private static readonly (string Zh, string En)[] Brands =
        [("索尼", "Sony"), ("华为", "Huawei"), ("小米", "Xiaomi"), ("苹果", "Apple"), ("联想", "Lenovo"), ("耐克", "Nike"), ("飞利浦", "Philips"), ("德龙", "DeLonghi")];

    private static readonly (string Zh, string En)[] Features =
        [("主动降噪", "Active Noise Cancelling"), ("超长续航", "Long Battery Life"), ("防水防汗", "Waterproof"), ("轻量化设计", "Lightweight Design"),
         ("快速充电", "Fast Charging"), ("高清屏幕", "HD Display"), ("人体工学", "Ergonomic"), ("限量版", "Limited Edition")];

    /// <summary>Products <c>p{start}</c> to <c>p{start+count-1}</c> for <paramref name="seed"/>.</summary>
    public static IEnumerable<Product> Generate(int count, int seed = 42, int start = 0, DateTimeOffset? epoch = null)
    {
        var origin = epoch ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = start; i < start + count; i++)
        {
            // One Random per product: product i is the same whatever range it is generated in.
#pragma warning disable CA5394 // Test-data generator: determinism matters, not unpredictability.
            var random = new Random(HashCode.Combine(seed, i));
            var kind = Kinds[random.Next(Kinds.Length)];
            var brand = Brands[random.Next(Brands.Length)];
            var feature = Features[random.Next(Features.Length)];
            var second = Features[random.Next(Features.Length)];
            var noun = random.Next(kind.NounsZh.Length);
            var chinese = random.Next(2) == 0;
            var price = decimal.Round(kind.MinPrice + ((kind.MaxPrice - kind.MinPrice) * (decimal)random.NextDouble()), 2);
            var updated = origin.AddMinutes(random.Next(0, 60 * 24 * 300));
#pragma warning restore CA5394
            yield return chinese
                ? new Product($"p{i}", $"{brand.Zh} {kind.NounsZh[noun]} {feature.Zh}", $"{brand.Zh}{kind.NounsZh[noun]}，{feature.Zh}，{second.Zh}。适合日常使用，品质保证。",
                    kind.CategoryEn, brand.En, price, [kind.CategoryZh, feature.Zh], updated)
                : new Product($"p{i}", $"{brand.En} {kind.NounsEn[noun]} {feature.En}", $"The {brand.En} {kind.NounsEn[noun]} with {feature.En.ToLowerInvariant()} and {second.En.ToLowerInvariant()}. Built for everyday use.",
                    kind.CategoryEn, brand.En, price, [kind.CategoryEn.ToLowerInvariant(), feature.En.ToLowerInvariant()], updated);
        }
    }
}
