using System.Text.Json;
using System.Text.RegularExpressions;

namespace Serverless.Core.Transactions;

/// <summary>An order as a client asks for it, before it is priced and given a transaction id.</summary>
/// <param name="Sku">Product.</param>
/// <param name="Quantity">Units, at least 1.</param>
/// <param name="Account">Account to charge and ship to.</param>
/// <param name="ShipTo">Delivery address.</param>
public sealed partial record OrderDraft(string Sku, int Quantity, string Account, string ShipTo)
{
    /// <summary>Shape of SKUs and account names: they are Table partition keys, so no '/', '\', '#', '?'.</summary>
    public const string NamePattern = "^[A-Za-z0-9_-]{1,64}$";

    private const int MaxShipTo = 200;

    /// <summary>The priced order under <paramref name="transactionId"/>.</summary>
    public TransactionOrder ToOrder(string transactionId, long amount) => new(transactionId, Sku, Quantity, Account, amount, ShipTo);

    /// <summary>
    /// Reads <c>{"sku": string, "quantity": int, "account": string, "shipTo": string}</c>; on failure returns null
    /// and says what is wrong in <paramref name="error"/>.
    /// </summary>
    public static OrderDraft? Parse(ReadOnlySpan<byte> json, int maxQuantity, out string? error)
    {
        JsonElement body;
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            body = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON: {ex.Message}";
            return null;
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "The body must be a JSON object {\"sku\", \"quantity\", \"account\", \"shipTo\"}.";
            return null;
        }

        var sku = Text(body, "sku");
        var account = Text(body, "account");
        var shipTo = Text(body, "shipTo");
        error = sku is null || !Name().IsMatch(sku) ? "'sku' must be 1-64 letters, digits, '-' or '_'."
            : account is null || !Name().IsMatch(account) ? "'account' must be 1-64 letters, digits, '-' or '_'."
            : string.IsNullOrWhiteSpace(shipTo) || shipTo.Length > MaxShipTo ? $"'shipTo' must be a non-empty string of at most {MaxShipTo} characters."
            : !body.TryGetProperty("quantity", out var q) || q.ValueKind != JsonValueKind.Number || !q.TryGetInt32(out var quantity)
                ? "'quantity' must be an integer."
            : quantity < 1 ? "'quantity' must be positive."
            : quantity > maxQuantity ? $"'quantity' must be at most {maxQuantity}."
            : null;
        return error is null ? new OrderDraft(sku!, body.GetProperty("quantity").GetInt32(), account!, shipTo!) : null;
    }

    private static string? Text(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex(NamePattern)]
    private static partial Regex Name();
}
