using System.Net;
using System.Net.Sockets;

namespace Serverless.Core.Dispatch;

/// <summary>The dispatch client's connect step: resolve, drop every address the allowlist refuses, connect to the rest.</summary>
public static class GuardedConnect
{
    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/> that only opens sockets <paramref name="allowlist"/> allows.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> For(TargetAllowlist allowlist) =>
        async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var allowed = addresses.Where(allowlist.AllowsAddress).ToArray();
            if (allowed.Length == 0)
            {
                throw new TargetRefusedException($"No address of '{host}' is allowed by the dispatch allowlist ({string.Join(", ", addresses.Select(a => a.ToString()))}).");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}

/// <summary>A connection the dispatch allowlist refused (logged; callers only see a generic 502).</summary>
public sealed class TargetRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TargetRefusedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TargetRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public TargetRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
