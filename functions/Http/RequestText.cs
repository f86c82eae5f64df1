using System.Buffers;
using System.Text;

namespace Serverless.Functions.Http;

/// <summary>Checks of text that reaches a function outside a JSON body (route values), which nothing decodes for us.</summary>
internal static class RequestText
{
    /// <summary>
    /// False for a lone surrogate: such a string cannot be encoded as UTF-8, so it would fail (or be silently replaced)
    /// when stored in Redis or written back in a response. JSON bodies are checked by <see cref="RequestBodies"/>.
    /// </summary>
    public static bool IsValidUnicode(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out _, out var used) != OperationStatus.Done)
            {
                return false;
            }

            text = text[used..];
        }

        return true;
    }
}
