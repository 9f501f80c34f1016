using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>
/// The SandboxBroker as a process of its own (its build output, run by the dotnet host), so a test can kill it the way
/// a crash does, with SIGKILL and no shutdown, and start it again on the same state directory.
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private BrokerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static string AssemblyPath => typeof(BrokerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SandboxBrokerAssembly").Value!;

    /// <summary>Starts the broker and returns once it answers with the given caller's context.</summary>
    public static async Task<BrokerProcess> StartAsync(IReadOnlyDictionary<string, string> settings, string contextToken)
    {
        var port = LocalProcess.FreePort();
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(AssemblyPath))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.GetFullPath(AssemblyPath));
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in settings)
        {
            psi.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var broker = new BrokerProcess(Process.Start(psi)!, new Uri($"http://127.0.0.1:{port}"));
        broker._process.OutputDataReceived += (_, e) => broker.Keep(e.Data);
        broker._process.ErrorDataReceived += (_, e) => broker.Keep(e.Data);
        broker._process.BeginOutputReadLine();
        broker._process.BeginErrorReadLine();
        try
        {
            using var probe = broker.Client(contextToken);
            await LocalProcess.WaitUntilAsync(async () =>
            {
                if (broker._process.HasExited)
                {
                    throw new InvalidOperationException("exited");
                }
                using var response = await probe.GetAsync("/v1/sandboxes");
                return response.IsSuccessStatusCode;
            }, TimeSpan.FromSeconds(60), "the sandbox broker process");
        }
        catch (TimeoutException e)
        {
            await broker.DisposeAsync();
            throw new TimeoutException($"{e.Message} Its output:\n{broker.Output}", e);
        }
        return broker;
    }

    public HttpClient Client(string contextToken)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.TryAddWithoutValidation(Platform.Tenancy.TenantContextHeaders.Context, contextToken);
        return client;
    }

    public string Output => string.Join('\n', _output);

    /// <summary>A crash: SIGKILL to the broker alone; what it started is left running, as a real crash leaves it.</summary>
    public async Task CrashAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>An orderly stop (SIGTERM): the broker ends its leases itself.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            await LocalProcess.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _process.WaitForExitAsync(deadline.Token);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 400 && _output.TryDequeue(out _))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync();
            }
            catch (OperationCanceledException)
            {
                await CrashAsync();
            }
        }
        _process.Dispose();
    }
}
