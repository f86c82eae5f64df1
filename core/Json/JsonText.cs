using System.Text.Json;

namespace Serverless.Core.Json;

/// <summary>
/// Checks on JSON text that <see cref="JsonDocument"/> leaves for later: it parses an escaped lone surrogate
/// (<c>"\ud800"</c>) and only throws when the string is read, as an InvalidOperationException (a 500 if it is not caught first).
/// </summary>
public static class JsonText
{
    /// <summary>Whether a string or property name in <paramref name="root"/> cannot be decoded (a lone surrogate).</summary>
    public static bool HasUndecodableText(JsonElement root)
    {
        // Iterative rather than recursive: JsonDocument already caps depth at 64, but this keeps the walk independent of it.
        var pending = new Stack<JsonElement>();
        pending.Push(root);
        try
        {
            while (pending.TryPop(out var element))
            {
                switch (element.ValueKind)
                {
                    case JsonValueKind.String:
                        _ = element.GetString();
                        break;
                    case JsonValueKind.Array:
                        foreach (var item in element.EnumerateArray())
                        {
                            pending.Push(item);
                        }

                        break;
                    case JsonValueKind.Object:
                        foreach (var property in element.EnumerateObject())
                        {
                            _ = property.Name;
                            pending.Push(property.Value);
                        }

                        break;
                }
            }

            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
