using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Serverless.EndToEnd.Host;

/// <summary>A response read whole: status, headers and JSON body, so assertions can name what came back.</summary>
public sealed record Answer(int Status, HttpResponseHeaders Headers, string? ContentType, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public bool IsProblem => ContentType == "application/problem+json";

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public override string ToString() => $"{Status} {ContentType} {Body}";

    public static async Task<Answer> SendAsync(HttpClient client, HttpMethod method, string path, object? json = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json as string ?? JsonSerializer.Serialize(json), Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, Xunit.TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(Xunit.TestContext.Current.CancellationToken);
        return new Answer((int)response.StatusCode, response.Headers, response.Content.Headers.ContentType?.MediaType, body);
    }
}
