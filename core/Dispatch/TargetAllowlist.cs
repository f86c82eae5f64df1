using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Serverless.Core.Search;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Decides which targets a pool may forward to (OWASP SSRF prevention): a host, network or queue must be on the
/// configured allowlist (<see cref="DispatchOptions.AllowedHosts"/>, <see cref="DispatchOptions.AllowedNetworks"/>,
/// <see cref="DispatchOptions.AllowedQueues"/>), and internal addresses and the app's own queues need an explicit entry.
/// Checked when a pool is saved, before every send, and on every resolved address at connect time.
/// </summary>
/// <remarks>
/// Written here because no maintained .NET library offers an SSRF allowlist for HttpClient; the address arithmetic
/// itself is <see cref="IPNetwork"/> from the BCL.
/// </remarks>
public sealed partial class TargetAllowlist(IOptions<DispatchOptions> options, IOptions<SearchOptions> search)
{
    // Addresses that reach the host itself, its cloud's metadata service or an internal network (RFC 6890 special
    // purpose blocks); none of them is a legitimate default target of a public proxy.
    private static readonly IPNetwork[] Internal =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("fc00::/7"),
        IPNetwork.Parse("ff00::/8"), IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("2002::/16"),
    ];

    private IPNetwork[]? _networks;

    /// <summary>What the start-up validation reports about the allowlist settings.</summary>
    public static IEnumerable<string> Problems(DispatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var host in options.AllowedHosts)
        {
            if (IPAddress.TryParse(host, out _) || !HostPattern().IsMatch(host ?? ""))
            {
                yield return $"Dispatch:AllowedHosts entry '{host}' must be a host name or '*.domain' (IP addresses go in Dispatch:AllowedNetworks as CIDR).";
            }
        }

        foreach (var network in options.AllowedNetworks)
        {
            if (!IPNetwork.TryParse(network ?? "", out _))
            {
                yield return $"Dispatch:AllowedNetworks entry '{network}' must be a CIDR range such as 10.0.0.0/8 or 127.0.0.1/32.";
            }
        }

        foreach (var queue in options.AllowedQueues)
        {
            if (!QueuePattern().IsMatch(queue ?? ""))
            {
                yield return $"Dispatch:AllowedQueues entry '{queue}' must be a Storage queue name or a prefix ending in '*'.";
            }
        }
    }

    /// <summary>Null when the target may be saved and used; otherwise why not, naming the target.</summary>
    public string? Refusal(PoolTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Kind == TargetKind.Queue ? QueueRefusal(target.Address) : UrlRefusal(target.Address);
    }

    /// <summary>True when a connection to <paramref name="address"/> may be opened (the connect-time check).</summary>
    public bool AllowsAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (Networks().Any(n => n.Contains(plain)))
        {
            return true;
        }

        return !Internal.Any(n => n.Contains(plain));
    }

    private string? UrlRefusal(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return $"Target '{url}' is not an absolute URL.";
        }

        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            // Uri reads 2130706433, 0x7f.1 and 017700000001 all as 127.0.0.1: only the canonical spelling is accepted,
            // so what an operator reads in the pool is what is connected to.
            var written = Authority(uri.OriginalString);
            if (uri.HostNameType == UriHostNameType.IPv4 && !string.Equals(written, uri.Host, StringComparison.Ordinal))
            {
                return $"Target '{url}' writes an IPv4 address in a non-canonical (decimal, octal or hex) form.";
            }

            var address = IPAddress.Parse(uri.Host.Trim('[', ']'));
            var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            return Networks().Any(n => n.Contains(plain))
                ? null
                : $"Target '{url}' is an IP address outside Dispatch:AllowedNetworks.";
        }

        var host = uri.IdnHost.TrimEnd('.');
        if (NumericHost().IsMatch(host))
        {
            return $"Target '{url}' has a numeric host name, which resolvers may read as an IP address.";
        }

        return options.Value.AllowedHosts.Any(pattern => HostMatches(pattern, host))
            ? null
            : $"Target '{url}' is not on Dispatch:AllowedHosts.";
    }

    private string? QueueRefusal(string queue)
    {
        var allowed = options.Value.AllowedQueues;
        if (allowed.Contains(queue, StringComparer.Ordinal))
        {
            return null;
        }

        if (!allowed.Any(p => p.EndsWith('*') && queue.StartsWith(p[..^1], StringComparison.Ordinal)))
        {
            return $"Queue target '{queue}' is not on Dispatch:AllowedQueues.";
        }

        return IsOwnQueue(queue) || queue == search.Value.ChangeQueue ? $"Queue target '{queue}' is one of the app's own queues; list it by its exact name in Dispatch:AllowedQueues to allow it." : null;
    }

    // The default change-queue name is refused even when Search:ChangeQueue renames it (an older deployment's queue).
    private static bool IsOwnQueue(string queue) =>
        queue is "catalog-changes" or QueueDispatcher.QueueName || OwnQueue().IsMatch(queue);

    private static bool HostMatches(string pattern, string host) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase) && host.Length > pattern.Length - 1
            : string.Equals(pattern.TrimEnd('.'), host, StringComparison.OrdinalIgnoreCase);

    // Parsed once: this runs on every send and every connect, and the options are validated and fixed at start-up.
    private IPNetwork[] Networks() => _networks ??= [.. options.Value.AllowedNetworks.Select(n => IPNetwork.Parse(n))];

    private static string Authority(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = url.IndexOfAny(['/', '?', '#', ':'], start);
        return (end < 0 ? url[start..] : url[start..end]).ToLowerInvariant();
    }

    [GeneratedRegex(@"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$")]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,61}(\*|[a-z0-9])$")]
    private static partial Regex QueuePattern();

    [GeneratedRegex(@"^((0x[0-9a-f]*|[0-9]+)\.?){1,4}$", RegexOptions.IgnoreCase)]
    private static partial Regex NumericHost();

    // The Functions runtime's poison queues, the Durable Task hub's control and work-item queues, and the WebJobs
    // SDK's internal queues.
    [GeneratedRegex(@"(-poison$|-control-\d{2}$|-workitems$|^azure-webjobs-)")]
    private static partial Regex OwnQueue();
}
