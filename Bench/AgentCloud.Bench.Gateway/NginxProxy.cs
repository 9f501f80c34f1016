using System.Diagnostics;
using AgentCloud.Tests.Shared;

namespace AgentCloud.Bench.Gateway;

/// <summary>Debian's nginx as a plain reverse proxy in front of the upstream: the reference cost of one proxy hop.</summary>
internal sealed class NginxProxy : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "agentcloud-bench-nginx-" + Guid.NewGuid().ToString("N"));
    private Process? _process;

    public int Port { get; } = LocalProcess.FreePort();

    public string Url => $"http://127.0.0.1:{Port}";

    public async Task StartAsync(Uri upstream)
    {
        Directory.CreateDirectory(_directory);
        var config = $$"""
            worker_processes auto;
            pid {{_directory}}/nginx.pid;
            error_log {{_directory}}/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path {{_directory}}/body;
              proxy_temp_path {{_directory}}/proxy;
              fastcgi_temp_path {{_directory}}/fastcgi;
              uwsgi_temp_path {{_directory}}/uwsgi;
              scgi_temp_path {{_directory}}/scgi;
              upstream backend { server {{upstream.Host}}:{{upstream.Port}}; keepalive 64; }
              server {
                listen 127.0.0.1:{{Port}};
                location / {
                  proxy_pass http://backend;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                }
              }
            }
            """;
        var configPath = Path.Combine(_directory, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);
        _process = LocalProcess.StartServer("nginx", ["-p", _directory, "-c", configPath, "-g", "daemon off;"]);
        using var probe = new HttpClient();
        await LocalProcess.WaitUntilAsync(async () => (await probe.GetAsync(Url + "/v1/models")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(10), $"nginx on port {Port} (see {_directory}/error.log)");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder: best effort
        }
    }
}
