using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Kubernetes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>
/// The kubernetes level against the real cluster named by AGENTCLOUD_TEST_KUBECONFIG: claim a sandbox, exec in it,
/// write and read a file, find the network closed, delete it. Skipped, saying so, without one.
/// </summary>
public sealed class KubernetesClusterTests
{
    private static ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddSimpleConsole());
        services.AddMetrics();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions()));
        services.AddKubernetesSandboxes();
        services.Configure<KubernetesSandboxOptions>(o =>
        {
            o.Enabled = true;
            o.Kubeconfig = Environment.GetEnvironmentVariable(ClusterFactAttribute.Variable);
            o.Namespace = Environment.GetEnvironmentVariable("AGENTCLOUD_TEST_KUBE_NAMESPACE") ?? o.Namespace;
            o.Tiers = new() { ["pro"] = new KubernetesTierOptions { CpuMillicores = 250, MemoryBytes = 256L * 1024 * 1024, WarmPoolSize = 0 } };
        });
        return services.BuildServiceProvider();
    }

    [ClusterFact]
    public async Task A_claimed_sandbox_runs_execs_keeps_files_reaches_no_network_and_is_deleted()
    {
        await using var provider = Services();
        var level = provider.GetRequiredService<KubernetesLevel>();
        Assert.True(level.Probe().Available, level.Probe().Reason);
        var sandboxes = provider.GetRequiredService<KubernetesSandboxes>();
        var exec = provider.GetRequiredService<PodExec>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await sandboxes.ApplyTiersAsync(timeout.Token);
        var id = "sbx_" + Guid.NewGuid().ToString("N")[..12];

        var claimed = await sandboxes.ClaimAsync(id, "tenant-kube-test", "pro", dedicated: false, DateTimeOffset.UtcNow.AddMinutes(10), timeout.Token);
        try
        {
            var echo = await exec.RunAsync(claimed.PodName, ["echo", "hello from the pod"], new Dictionary<string, string>(), [], TimeSpan.FromSeconds(30), 1 << 16, timeout.Token);
            Assert.Equal(0, echo.ExitCode);
            Assert.Equal("hello from the pod\n", echo.Stdout);

            var env = await exec.RunAsync(claimed.PodName, ["sh", "-c", "printf %s \"$SECRETISH\""], new Dictionary<string, string> { ["SECRETISH"] = "it's $(here)" },
                [], TimeSpan.FromSeconds(30), 1 << 16, timeout.Token);
            Assert.Equal("it's $(here)", env.Stdout);

            await exec.WriteFileAsync(claimed.PodName, "/workspace/note.txt", "written through the pod API"u8.ToArray(), timeout.Token);
            Assert.Equal("written through the pod API", await exec.ReadFileAsync(claimed.PodName, "/workspace/note.txt", 1 << 16, timeout.Token));

            var root = await exec.RunAsync(claimed.PodName, ["sh", "-c", "touch /etc/owned"], new Dictionary<string, string>(), [], TimeSpan.FromSeconds(30), 1 << 16, timeout.Token);
            Assert.NotEqual(0, root.ExitCode);

            // No NetworkPolicy hole: an outside address and the API server are both out of reach.
            var net = await exec.RunAsync(claimed.PodName,
                ["python3", "-c", "import socket,sys\nfor h in [('1.1.1.1',80),('kubernetes.default.svc',443)]:\n  try:\n    socket.create_connection(h,timeout=5); print('open',h)\n  except Exception as e: print('refused',h)"],
                new Dictionary<string, string>(), [], TimeSpan.FromSeconds(60), 1 << 16, timeout.Token);
            Assert.DoesNotContain("open", net.Stdout);
            Assert.Contains("refused", net.Stdout);
        }
        finally
        {
            Assert.True(await sandboxes.DeleteAsync(claimed.ClaimName, CancellationToken.None));
        }
        Assert.False(await sandboxes.DeleteAsync(claimed.ClaimName, CancellationToken.None));
    }

    [ClusterFact]
    public async Task Through_the_public_api_a_kubernetes_sandbox_runs_execs_keeps_files_is_private_and_is_deleted()
    {
        var redis = new AgentCloud.Tests.Shared.RedisServerFixture();
        await redis.InitializeAsync();
        try
        {
            await ThroughThePublicApiAsync(redis);
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    private static async Task ThroughThePublicApiAsync(AgentCloud.Tests.Shared.RedisServerFixture redis)
    {
        await using var broker = new BrokerFactory(redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:Kubernetes:Enabled"] = "true",
            ["SandboxBroker:Kubernetes:Kubeconfig"] = Environment.GetEnvironmentVariable(ClusterFactAttribute.Variable),
            ["SandboxBroker:Kubernetes:Namespace"] = Environment.GetEnvironmentVariable("AGENTCLOUD_TEST_KUBE_NAMESPACE") ?? "agentcloud-sandboxes",
        });
        var owner = broker.ClientFor("kube-cluster-owner");
        owner.Timeout = TimeSpan.FromMinutes(5);
        var intruder = broker.ClientFor("kube-cluster-intruder");

        var sandbox = await owner.CreateSandboxAsync(new { isolation = "kubernetes" });
        try
        {
            Assert.Equal("kubernetes", sandbox.Isolation);
            var echo = await owner.ExecAsync(sandbox.Id, ["sh", "-c", "printf '%s' \"$V\"; cat"], stdin: "+in", env: new() { ["V"] = "it's $(here)" });
            Assert.Equal("it's $(here)+in", echo.Stdout);
            using (var put = await owner.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/note.txt", new StringContent("through the api")))
            {
                Assert.Equal(System.Net.HttpStatusCode.NoContent, put.StatusCode);
            }
            Assert.Equal("through the api", await owner.GetStringAsync($"/v1/sandboxes/{sandbox.Id}/files/note.txt"));
            using var stolen = await intruder.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/note.txt");
            await BrokerCalls.AssertProblemAsync(stolen, 404);
        }
        finally
        {
            using var deleted = await owner.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
            Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        }
    }
}
