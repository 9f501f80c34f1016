using System.Net;
using System.Net.Sockets;
using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Kubernetes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>
/// The start-up probe of the kubernetes level: unconfigured, misconfigured, a cluster that does not answer, and an API
/// server on loopback answering as a cluster without gVisor, without agent-sandbox, or with both would.
/// </summary>
public sealed class KubernetesLevelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentcloud-kube-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static KubernetesLevel Level(KubernetesSandboxOptions options) =>
        new(new KubernetesCluster(Microsoft.Extensions.Options.Options.Create(options)), NullLogger<KubernetesLevel>.Instance);

    private string Kubeconfig(string server)
    {
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: {server}
            contexts:
            - name: test
              context:
                cluster: test
                user: test
            current-context: test
            users:
            - name: test
              user:
                token: not-a-real-token
            """);
        return path;
    }

    [Fact]
    public void With_no_cluster_configured_the_level_is_unavailable_naming_the_setting()
    {
        var probe = Level(new KubernetesSandboxOptions()).Probe();

        Assert.Equal("kubernetes", probe.Level);
        Assert.False(probe.Available);
        Assert.Contains("no cluster configured", probe.Reason);
        Assert.Contains("SandboxBroker:Kubernetes:Enabled=true", probe.Reason);
    }

    [Fact]
    public void A_kubeconfig_that_does_not_exist_is_named()
    {
        var missing = Path.Combine(_dir, "nowhere", "config");

        var probe = Level(new KubernetesSandboxOptions { Enabled = true, Kubeconfig = missing }).Probe();

        Assert.False(probe.Available);
        Assert.Contains(missing, probe.Reason);
    }

    [Fact]
    public void Enabled_without_a_kubeconfig_uses_the_pods_service_account_only_inside_a_cluster()
    {
        var cluster = new KubernetesCluster(Microsoft.Extensions.Options.Options.Create(new KubernetesSandboxOptions { Enabled = true }));

        var problem = cluster.ConfigurationProblem();

        if (k8s.KubernetesClientConfiguration.IsInCluster())
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains("not running in a cluster", problem);
        }
    }

    [Fact]
    public void A_kubeconfig_given_as_content_that_is_not_one_is_unavailable_without_echoing_it()
    {
        var probe = Level(new KubernetesSandboxOptions { Enabled = true, KubeconfigYaml = "token: s3cr3t-value\n: : [not yaml" }).Probe();

        Assert.False(probe.Available);
        Assert.DoesNotContain("s3cr3t-value", probe.Reason);
    }

    [Fact]
    public async Task A_kubeconfig_given_as_content_reaches_its_cluster()
    {
        await using var api = await FakeApiServer.StartAsync(runtimeClasses: ["gvisor"], claimsInstalled: true);

        var probe = Level(new KubernetesSandboxOptions { Enabled = true, KubeconfigYaml = File.ReadAllText(Kubeconfig(api.Url)) }).Probe();

        Assert.True(probe.Available, probe.Reason);
    }

    [Fact]
    public void An_api_server_that_does_not_answer_is_reported_within_the_probe_timeout()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var probe = Level(new KubernetesSandboxOptions { Enabled = true, Kubeconfig = Kubeconfig($"http://127.0.0.1:{port}"), ProbeTimeout = TimeSpan.FromSeconds(5) }).Probe();

        Assert.False(probe.Available);
        Assert.Contains("did not answer", probe.Reason);
    }

    [Fact]
    public async Task A_cluster_without_gvisor_or_kata_is_refused_listing_what_it_has()
    {
        await using var api = await FakeApiServer.StartAsync(runtimeClasses: ["runc-only"], claimsInstalled: true);

        var probe = Level(new KubernetesSandboxOptions { Enabled = true, Kubeconfig = Kubeconfig(api.Url) }).Probe();

        Assert.False(probe.Available);
        Assert.Contains("no RuntimeClass among [gvisor, kata", probe.Reason);
        Assert.Contains("[runc-only]", probe.Reason);
    }

    [Fact]
    public async Task A_cluster_without_agent_sandbox_is_refused_with_the_install_hint()
    {
        await using var api = await FakeApiServer.StartAsync(runtimeClasses: ["gvisor"], claimsInstalled: false);

        var probe = Level(new KubernetesSandboxOptions { Enabled = true, Kubeconfig = Kubeconfig(api.Url), Namespace = "sbx" }).Probe();

        Assert.False(probe.Available);
        Assert.Contains("extensions.agents.x-k8s.io/v1alpha1 sandboxclaims not found in namespace sbx", probe.Reason);
    }

    [Fact]
    public async Task A_cluster_with_kata_and_agent_sandbox_is_available_and_picks_the_preferred_class()
    {
        await using var api = await FakeApiServer.StartAsync(runtimeClasses: ["kata", "runc"], claimsInstalled: true);
        var level = Level(new KubernetesSandboxOptions { Enabled = true, Kubeconfig = Kubeconfig(api.Url), Namespace = "sbx" });

        var probe = level.Probe();

        Assert.True(probe.Available, probe.Reason);
        Assert.Equal("kata", level.RuntimeClass);
        Assert.Contains("RuntimeClass kata", probe.Reason);
        Assert.Contains("/apis/extensions.agents.x-k8s.io/v1alpha1/namespaces/sbx/sandboxclaims", api.Paths);
    }

    [Fact]
    public async Task An_unavailable_cluster_is_probed_again_once_the_interval_passed_and_is_then_available()
    {
        await using var api = await FakeApiServer.StartAsync(runtimeClasses: ["gvisor"], claimsInstalled: false);
        var time = new ManualTime();
        var options = new KubernetesSandboxOptions { Enabled = true, Kubeconfig = Kubeconfig(api.Url), Namespace = "sbx", ReprobeInterval = TimeSpan.FromSeconds(30) };
        var level = new KubernetesLevel(new KubernetesCluster(Microsoft.Extensions.Options.Options.Create(options)), NullLogger<KubernetesLevel>.Instance, time);

        Assert.False(level.Probe().Available);
        api.ClaimsInstalled = true;
        var asked = api.Paths.Count;
        Assert.False(level.Probe().Available); // within the interval the last answer stands: no probe per call
        Assert.Equal(asked, api.Paths.Count);
        time.Now += TimeSpan.FromSeconds(31);

        Assert.True(level.Probe().Available, level.Probe().Reason);
        Assert.Equal("gvisor", level.RuntimeClass);
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>An API server on loopback answering the two reads the probe makes, as a real one would.</summary>
    private sealed class FakeApiServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeApiServer(WebApplication app) => _app = app;

        public List<string> Paths { get; } = [];

        /// <summary>Whether agent-sandbox's claims API answers (it may be installed after the broker started).</summary>
        public bool ClaimsInstalled { get; set; }

        public string Url => _app.Urls.First();

        public static async Task<FakeApiServer> StartAsync(string[] runtimeClasses, bool claimsInstalled)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new FakeApiServer(app);
            app.Use(async (context, next) =>
            {
                lock (server.Paths)
                {
                    server.Paths.Add(context.Request.Path);
                }
                await next(context);
            });
            app.MapGet("/apis/node.k8s.io/v1/runtimeclasses", () => Results.Json(new
            {
                apiVersion = "node.k8s.io/v1", kind = "RuntimeClassList", metadata = new { },
                items = runtimeClasses.Select(c => new { metadata = new { name = c }, handler = c }),
            }));
            server.ClaimsInstalled = claimsInstalled;
            app.MapGet("/apis/extensions.agents.x-k8s.io/v1alpha1/namespaces/{ns}/sandboxclaims", () => server.ClaimsInstalled
                ? Results.Json(new { apiVersion = "extensions.agents.x-k8s.io/v1alpha1", kind = "SandboxClaimList", metadata = new { }, items = Array.Empty<object>() })
                : Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", reason = "NotFound", code = 404 }, statusCode: 404));
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
