using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Serverless.Core.Dispatch;

namespace Serverless.Core.Operability;

/// <summary>
/// Renders a <see cref="StatusSnapshot"/> as one self-contained HTML page: inline CSS, no script, no external asset,
/// reloading itself every <see cref="RefreshSeconds"/> seconds. Every value is HTML-encoded (pool names, target
/// addresses and queue names are user input), and the page's own Content-Security-Policy forbids scripts besides.
/// </summary>
public static class StatusPage
{
    /// <summary>How often the page reloads itself.</summary>
    public const int RefreshSeconds = 5;

    /// <summary>The policy sent in the header and in the page: only the inline style sheet may load.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2733;background:#f7f9fb}
        h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}h3{font-size:1rem;margin:1rem 0 .3rem}
        table{border-collapse:collapse;background:#fff;min-width:40rem}th,td{border:1px solid #d5dde5;padding:.25rem .6rem;text-align:left}
        th{background:#e9eef3}td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#5f6b77}
        .ok{color:#1a7f37}.bad{color:#b42318;font-weight:600}.warn{color:#9a6700}.errors{background:#fde8e8;padding:.5rem 1rem}
        """;

    /// <summary>The whole page.</summary>
    public static string Render(StatusSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var html = new StringBuilder(8 * 1024);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append(CultureInfo.InvariantCulture, $"<meta http-equiv=\"refresh\" content=\"{RefreshSeconds}\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(E(ContentSecurityPolicy)).Append("\">")
            .Append("<title>Serverless status</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<h1>Serverless status</h1><p class=\"muted\">Read at ").Append(E(snapshot.TakenAt.ToString("u", CultureInfo.InvariantCulture)))
            .Append(CultureInfo.InvariantCulture, $"; reloads every {RefreshSeconds} s.</p>");
        if (snapshot.Errors.Count > 0)
        {
            html.Append("<div class=\"errors\" id=\"errors\">");
            foreach (var error in snapshot.Errors)
            {
                html.Append("<p>").Append(E(error)).Append("</p>");
            }

            html.Append("</div>");
        }

        Pools(html, snapshot);
        Queues(html, snapshot);
        Meters(html, snapshot);
        return html.Append("</body></html>").ToString();
    }

    private static void Pools(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append("<section id=\"pools\"><h2>Dispatch pools</h2>");
        if (snapshot.Pools.Count == 0)
        {
            html.Append("<p class=\"muted\">No pools.</p>");
        }

        foreach (var pool in snapshot.Pools)
        {
            html.Append("<h3>").Append(E(pool.Name)).Append(" <span class=\"muted\">").Append(E(pool.Definition.Policy.Name())).Append("</span></h3>")
                .Append("<table class=\"pool\"><tr><th>Target</th><th>Address</th><th>State</th><th>Weight</th><th>Effective</th>")
                .Append("<th>In flight</th><th>Latency ms</th><th>Failures</th><th>Ejections</th></tr>");
            foreach (var (target, state) in pool.Definition.Targets.Zip(pool.Targets))
            {
                html.Append("<tr class=\"target\"><td>").Append(E(target.Id)).Append("</td><td>").Append(E(target.Address)).Append("</td><td>")
                    .Append(State(state, snapshot.TakenAt)).Append("</td>")
                    .Append(Number(state.Weight)).Append(Number(state.EffectiveWeight)).Append(Number(state.InFlight))
                    .Append(Number(state.LatencyMs)).Append(Number(state.ConsecutiveFailures)).Append(Number(state.Ejections)).Append("</tr>");
            }

            html.Append("</table>");
        }

        html.Append("</section>");
    }

    private static string State(TargetState state, DateTimeOffset now) => state switch
    {
        { EjectedUntil: { } until } when until > now => $"<span class=\"bad\">ejected until {E(until.ToString("HH:mm:ss", CultureInfo.InvariantCulture))}</span>",
        { SlowStartUntil: { } ramp } when ramp > now => $"<span class=\"warn\">slow start until {E(ramp.ToString("HH:mm:ss", CultureInfo.InvariantCulture))}</span>",
        { Weight: 0 } => "<span class=\"warn\">drained</span>",
        _ => "<span class=\"ok\">admitted</span>",
    };

    private static void Queues(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append("<section id=\"queues\"><h2>Queues</h2>");
        if (snapshot.Queues.Count == 0)
        {
            html.Append("<p class=\"muted\">No queues.</p>");
        }
        else
        {
            html.Append("<table><tr><th>Queue</th><th>Messages</th><th>Poison</th></tr>");
            foreach (var queue in snapshot.Queues)
            {
                var poison = queue.PoisonDepth is { } p
                    ? $"<td class=\"n{(p > 0 ? " bad" : "")}\">{p.ToString(CultureInfo.InvariantCulture)}</td>"
                    : "<td class=\"n muted\">-</td>";
                html.Append("<tr><td>").Append(E(queue.Name)).Append("</td>").Append(Number(queue.Depth)).Append(poison).Append("</tr>");
            }

            html.Append("</table>");
        }

        if (snapshot.QueuesNotShown > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{snapshot.QueuesNotShown} more queues not shown.</p>");
        }

        html.Append("</section>");
    }

    private static void Meters(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append("<section id=\"meters\"><h2>Meters</h2>");
        if (snapshot.Meters.Count == 0)
        {
            html.Append("<p class=\"muted\">No ").Append(E(MeterTotals.MeterPrefix)).Append("* instruments have been created yet.</p></section>");
            return;
        }

        html.Append("<table><tr><th>Meter</th><th>Instrument</th><th>Kind</th><th>Unit</th><th>Measurements</th><th>Total</th></tr>");
        foreach (var m in snapshot.Meters)
        {
            html.Append("<tr><td>").Append(E(m.Meter)).Append("</td><td title=\"").Append(E(m.Description ?? "")).Append("\">").Append(E(m.Instrument))
                .Append("</td><td>").Append(E(m.Kind)).Append("</td><td>").Append(E(m.Unit ?? "")).Append("</td>")
                .Append(Number(m.Measurements)).Append(Number(m.Sum)).Append("</tr>");
        }

        html.Append("</table></section>");
    }

    private static string Number(double value) => $"<td class=\"n\">{value.ToString("0.###", CultureInfo.InvariantCulture)}</td>";

    private static string E(string text) => HtmlEncoder.Default.Encode(text);
}
