using System.Net.Http.Json;
using AgentCloud.SandboxBroker.Isolation;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Background processes as a hostile tenant tries them: someone else's process, output, environment and a second sandbox's view.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ProcessConfinementTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    [Fact]
    public async Task Another_tenant_gets_404_for_the_process_its_logs_and_its_signals_and_the_process_runs_on()
    {
        var a = Broker.ClientFor("xp-alpha");
        var b = Broker.ClientFor("xp-bravo");
        var sandbox = await a.CreateSandboxAsync();
        var own = await b.CreateSandboxAsync();
        var process = await a.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "echo alpha-output; exec sleep 600"]);
        var url = $"/v1/sandboxes/{sandbox.Id}/processes";

        var attempts = new List<HttpResponseMessage>
        {
            await b.GetAsync(url),
            await b.GetAsync($"{url}/{process.Pid}"),
            await b.GetAsync($"{url}/{process.Pid}/logs"),
            await b.GetAsync($"{url}/{process.Pid}/logs?follow=true"),
            await b.PostAsJsonAsync($"{url}/{process.Pid}/signal", new { signal = "KILL" }),
            await b.PostAsJsonAsync(url, new { command = new[] { "cat", "/proc/1/environ" } }),
            // The same pid through the other tenant's own sandbox names nothing there.
            await b.GetAsync($"/v1/sandboxes/{own.Id}/processes/{process.Pid}/logs"),
            await b.PostAsJsonAsync($"/v1/sandboxes/{own.Id}/processes/{process.Pid}/signal", new { signal = "KILL" }),
        };

        foreach (var response in attempts)
        {
            await BrokerCalls.AssertProblemAsync(response, 404);
            Assert.DoesNotContain("alpha-output", await response.Content.ReadAsStringAsync());
            response.Dispose();
        }
        Assert.Empty(await b.GetFromJsonAsync<ProcessDto[]>($"/v1/sandboxes/{own.Id}/processes") ?? []);
        Assert.Equal("running", (await a.GetProcessAsync(sandbox.Id, process.Pid)).State);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!(await a.LogsAsync(sandbox.Id, process.Pid)).Stdout.Contains("alpha-output"))
        {
            await Task.Delay(50, bound.Token);
        }
    }

    [Theory]
    [InlineData(IsolationLevels.Bubblewrap)]
    [InlineData(IsolationLevels.Namespace)]
    [InlineData(IsolationLevels.Gvisor)]
    public async Task A_process_environment_reaches_the_process_but_no_host_command_line(string level)
    {
        var offered = Broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == level);
        if (!offered.Available)
        {
            Assert.False(string.IsNullOrWhiteSpace(offered.Reason));
            return;
        }
        var client = Broker.ClientFor($"xp-env-{level}");
        var sandbox = await client.CreateSandboxAsync(new { isolation = level });
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        var process = await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "echo \"$PROCESS_SECRET\"; exec sleep 600"],
            env: new Dictionary<string, string> { ["PROCESS_SECRET"] = secret });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!(await client.LogsAsync(sandbox.Id, process.Pid)).Stdout.Contains(secret))
        {
            await Task.Delay(50, bound.Token);
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            Assert.DoesNotContain(secret, cmdline);
        }
    }

    [Fact]
    public async Task Another_sandbox_of_the_same_tenant_cannot_reach_a_server_in_the_first()
    {
        var client = Broker.ClientFor("xp-neighbour");
        var first = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Bubblewrap });
        var second = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Bubblewrap });
        if ((await client.ShAsync(first.Id, "command -v python3")).ExitCode != 0)
        {
            Assert.False(File.Exists("/usr/bin/python3"), "python3 is on the host but not found in the sandbox");
            return;
        }
        await client.StartProcessAsync(first.Id, ["python3", "-m", "http.server", "8766", "--bind", "127.0.0.1"]);
        var fetch = "python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:8766/\", timeout=2)'";
        var own = await client.ShAsync(first.Id, $"i=0; while [ $i -lt 200 ]; do {fetch} 2>/dev/null && exit 0; i=$((i+1)); sleep 0.05; done; exit 1");
        Assert.Equal(0, own.ExitCode);

        var neighbour = await client.ShAsync(second.Id, fetch);

        Assert.NotEqual(0, neighbour.ExitCode);
        Assert.Contains("Connection refused", neighbour.Stderr);
    }
}
