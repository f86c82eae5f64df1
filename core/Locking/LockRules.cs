using System.Text.RegularExpressions;

namespace Serverless.Core.Locking;

/// <summary>Checks of lock names, owners, leases and waits, shared by both backends and the HTTP layer.</summary>
public static partial class LockRules
{
    /// <summary>Shortest lease: below this the renew and expiry round trips dominate.</summary>
    public static readonly TimeSpan MinLease = TimeSpan.FromMilliseconds(50);

    /// <summary>Null when <paramref name="name"/> is a valid lock name (1–64 of A–Z a–z 0–9 . _ -), else why not.</summary>
    public static string? CheckName(string? name) =>
        name is not null && NamePattern().IsMatch(name) ? null : "A lock name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'.";

    /// <summary>Null when <paramref name="owner"/> is a valid owner (1–128 printable ASCII characters), else why not.</summary>
    public static string? CheckOwner(string? owner) =>
        owner is not null && OwnerPattern().IsMatch(owner) ? null : "The owner is 1-128 printable ASCII characters.";

    /// <summary>Null when the lease is within [<see cref="MinLease"/>, <paramref name="max"/>], else why not.</summary>
    public static string? CheckLease(TimeSpan lease, TimeSpan max) =>
        lease >= MinLease && lease <= max ? null : $"The lease must be between {MinLease.TotalMilliseconds:0} and {max.TotalMilliseconds:0} ms.";

    /// <summary>
    /// <see cref="CheckLease"/> for a lease in milliseconds as a caller sent it, checked before it becomes a
    /// <see cref="TimeSpan"/> (which overflows above about 2^63 ticks).
    /// </summary>
    public static string? CheckLeaseMs(long leaseMs, TimeSpan max) =>
        leaseMs >= (long)MinLease.TotalMilliseconds && leaseMs <= (long)max.TotalMilliseconds ? null : CheckLease(TimeSpan.Zero, max);

    /// <summary><see cref="CheckWait"/> for a wait in milliseconds as a caller sent it, checked before it becomes a <see cref="TimeSpan"/>.</summary>
    public static string? CheckWaitMs(long waitMs, TimeSpan max) =>
        waitMs >= 0 && waitMs <= (long)max.TotalMilliseconds ? null : CheckWait(TimeSpan.MinValue, max);

    /// <summary>Null when the wait is within [0, <paramref name="max"/>], else why not.</summary>
    public static string? CheckWait(TimeSpan wait, TimeSpan max) =>
        wait >= TimeSpan.Zero && wait <= max ? null : $"The wait must be between 0 and {max.TotalMilliseconds:0} ms.";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[\\x21-\\x7E]{1,128}$")]
    private static partial Regex OwnerPattern();
}
