using System.Net.Sockets;
using Azure;

namespace Serverless.Core.Storage;

/// <summary>
/// Tells an Azure Storage outage (unreachable, too slow, throttling, failing) from a client error or a bug, so callers
/// can answer 503 or let a trigger retry, while a 404, a 409 or a 412 ETag mismatch still means what it says.
/// </summary>
public static class StorageOutage
{
    /// <summary>
    /// How long a client should wait before retrying: Storage throttling (429/503 ServerBusy) asks for seconds of
    /// back-off, and the same as Redis's so a client meets one Retry-After whichever dependency failed.
    /// </summary>
    public static TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether <paramref name="exception"/>, or an exception inside it, says Storage is unavailable.</summary>
    public static bool Is(Exception? exception) => exception switch
    {
        null => false,
        // Status 0: no response at all (the SDK wraps the transport failure). 501 is a permanent "not supported"
        // (Azurite answers it for API features it lacks): a defect to surface, not an outage to wait out.
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or (>= 500 and not 501),
        HttpRequestException or SocketException or TimeoutException => true,
        // A try past RetryOptions.NetworkTimeout ends as a TaskCanceledException around a TimeoutException (handled
        // below, through the inner exception); a caller's own cancellation has none inside and stays a cancellation.
        // The SDK's retry policy gives up with every try's failure in one AggregateException.
        AggregateException aggregate => aggregate.InnerExceptions.Any(Is),
        _ => Is(exception.InnerException),
    };
}
