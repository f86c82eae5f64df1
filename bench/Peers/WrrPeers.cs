using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Core.Dispatch;
using Serverless.Testing;

namespace Serverless.Bench.Peers;

/// <summary>
/// Smooth weighted round robin against the real thing: nginx (from apt) proxying to three local backends with the
/// same weights; the order in which the backends answer is nginx's sequence, compared pick by pick with ours.
/// </summary>
internal static class WrrPeers
{
    public sealed record Row(string Weights, string Ours, string Nginx)
    {
        public bool Identical => Ours == Nginx;
    }

    public static async Task<IReadOnlyList<Row>?> CompareAsync(PeerContext context, int picks)
    {
        var nginx = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);
        if (nginx is null)
        {
            return null;
        }

        var rows = new List<Row>();
        foreach (var weights in new[] { new[] { 5, 1, 1 }, [3, 2, 1, 1] })
        {
            rows.Add(new Row(string.Join(',', weights), await OursAsync(context, weights, picks), await NginxAsync(nginx, weights, picks)));
        }

        return rows;
    }

    private static async Task<string> OursAsync(PeerContext context, int[] weights, int picks)
    {
        var store = context.Provider.GetRequiredService<DispatchStore>();
        var pool = "swrr-" + string.Join('-', weights);
        await store.SaveAsync(pool, new PoolDefinition(DispatchPolicy.WeightedRoundRobin,
            [.. weights.Select((w, i) => new PoolTarget(Name(i), TargetKind.Http, $"http://{Name(i)}.test", w))], null));
        var sequence = new System.Text.StringBuilder();
        for (var i = 0; i < picks; i++)
        {
            sequence.Append((await store.PickAsync(pool)).Lease!.TargetId);
        }

        return sequence.ToString();
    }

    private static async Task<string> NginxAsync(string nginx, int[] weights, int picks)
    {
        var backends = new List<Backend>();
        var dir = Directory.CreateTempSubdirectory("bench-nginx-").FullName;
        try
        {
            for (var i = 0; i < weights.Length; i++)
            {
                var backend = await Backend.StartAsync(Name(i));
                backend.KeepRequests = false;
                backends.Add(backend);
            }

            var port = ListeningSockets.FreePort();
            var servers = string.Concat(backends.Select((b, i) => string.Create(CultureInfo.InvariantCulture, $"server {new Uri(b.Url).Authority} weight={weights[i]}; ")));
            await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
                daemon off; master_process off; worker_processes 1; pid {{dir}}/nginx.pid; error_log {{dir}}/error.log;
                events { worker_connections 64; }
                http {
                  access_log off;
                  client_body_temp_path {{dir}}/body; proxy_temp_path {{dir}}/proxy; fastcgi_temp_path {{dir}}/fastcgi;
                  uwsgi_temp_path {{dir}}/uwsgi; scgi_temp_path {{dir}}/scgi;
                  upstream pool { {{servers}} }
                  server { listen 127.0.0.1:{{port}}; location / { proxy_pass http://pool; } }
                }
                """);
            await using var process = ChildProcess.Start(nginx, ["-p", dir, "-c", Path.Combine(dir, "nginx.conf")]);
            await process.WaitUntilListeningAsync(port, "nginx", TimeSpan.FromSeconds(10));
            using var http = new HttpClient();
            var sequence = new System.Text.StringBuilder();
            for (var i = 0; i < picks; i++)
            {
                sequence.Append(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/")));
            }

            return sequence.ToString();
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Name(int i) => ((char)('a' + i)).ToString();
}
