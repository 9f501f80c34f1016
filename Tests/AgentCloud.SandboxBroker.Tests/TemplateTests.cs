using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.Tests.Shared;
using static AgentCloud.SandboxBroker.Tests.PauseAtEachLevel;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// A broker with the demo template "tools" (a read-only layer with <c>tree</c>, built by eng/prereqs.sh through
/// eng/template-layer.sh) for the pro tier only, and a template whose layer this host lacks.
/// </summary>
public sealed class TemplateBrokerFixture : IAsyncLifetime
{
    public const string ToolsLayer = "/var/lib/agentcloud/templates/tools";

    public RedisServerFixture Redis { get; } = new();

    public BrokerFactory Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        Broker = new BrokerFactory(Redis.ConnectionString, new Dictionary<string, string?>
        {
            [WarmPool.SizeSetting] = "1", // a template's pool is warmed
            ["SandboxBroker:Templates:tools:RootLayer"] = ToolsLayer,
            ["SandboxBroker:Templates:tools:Environment:PATH"] = "/opt/template/usr/bin:/usr/local/bin:/usr/bin:/bin",
            ["SandboxBroker:Templates:tools:Environment:HOME"] = "/workspace",
            ["SandboxBroker:Templates:tools:Environment:TMPDIR"] = "/tmp",
            ["SandboxBroker:Templates:tools:Tiers:0"] = "pro",
            ["SandboxBroker:Templates:tools:TimeoutSeconds"] = "600",
            ["SandboxBroker:Templates:elsewhere:RootLayer"] = "/nonexistent/agentcloud-layer",
            // Limits of its own: a small workspace and memory, whatever the broker's are.
            ["SandboxBroker:Templates:small:Limits:WorkspaceBytes"] = "8388608",
            ["SandboxBroker:Templates:small:Limits:MemoryBytes"] = "134217728",
            ["SandboxBroker:Templates:small:Limits:MaxConcurrentExecs"] = "2",
        });
        _ = Broker.Server;
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class TemplateBrokerCollection : ICollectionFixture<TemplateBrokerFixture>
{
    public const string Name = "template-broker";
}

/// <summary>Templates: the layer's tool is there and the layer read-only at every level the host offers; unknown, forbidden and unavailable templates refused.</summary>
[Collection(TemplateBrokerCollection.Name)]
public sealed class TemplateTests(TemplateBrokerFixture fixture) : LevelTests
{
    protected override BrokerFactory Broker => fixture.Broker;

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_templates_tool_is_on_path_from_its_read_only_layer(string level)
    {
        Assert.True(File.Exists(Path.Combine(TemplateBrokerFixture.ToolsLayer, "usr/bin/tree")), "the tools layer is missing: run sudo bash eng/prereqs.sh");
        var entry = ((IsolationCatalog)Broker.Services.GetService(typeof(IsolationCatalog))!).Levels.Single(l => l.Level == level);
        Assert.False(string.IsNullOrWhiteSpace(entry.Reason));
        if (!entry.Available)
        {
            return;
        }
        var client = Broker.ClientFor($"template-tools-{level}");
        var sandbox = await client.CreateSandboxAsync(new { isolation = level, template = "tools" });

        var run = await client.ShAsync(sandbox.Id,
            "command -v tree; mkdir -p d/e && tree --noreport d | head -1; touch /opt/template/planted 2>/dev/null && echo WROTE || echo read-only; " +
            "rm -f /opt/template/usr/bin/tree 2>/dev/null && echo REMOVED || echo kept");

        Assert.Equal("tools", sandbox.Template);
        Assert.Equal("/opt/template/usr/bin/tree\nd\nread-only\nkept\n", run.Stdout);
        Assert.False(File.Exists(Path.Combine(TemplateBrokerFixture.ToolsLayer, "planted")));
    }

    [Fact]
    public async Task Each_available_template_gets_its_own_warm_pool_and_one_whose_layer_is_missing_none()
    {
        var catalog = (IsolationCatalog)Broker.Services.GetService(typeof(IsolationCatalog))!;
        var pooled = new[] { IsolationLevels.Gvisor, IsolationLevels.Bubblewrap }.Where(catalog.IsAvailable).ToList();

        await LocalProcess.WaitUntilAsync(() => Task.FromResult(pooled.All(l => Broker.Pools.Count(new Sandboxes.PoolKey(l, "tools", null)) > 0)),
            TimeSpan.FromSeconds(60), "warm slots of the tools template");
        var client = Broker.ClientFor("template-warm");
        var sandboxes = new List<SandboxDto>();
        foreach (var level in pooled)
        {
            sandboxes.Add(await client.CreateSandboxAsync(new { isolation = level, template = "tools" }));
        }

        Assert.All(sandboxes, s => Assert.True(s.Warm, $"{s.Isolation} sandbox of template tools came cold"));
        Assert.DoesNotContain(Broker.Pools.Counts.Keys, k => k.Template == "elsewhere");
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_templates_own_limits_hold_in_its_sandboxes(string level)
    {
        var entry = ((IsolationCatalog)Broker.Services.GetService(typeof(IsolationCatalog))!).Levels.Single(l => l.Level == level);
        if (!entry.Available)
        {
            return;
        }
        var client = Broker.ClientFor($"template-small-{level}");
        var sandbox = await client.CreateSandboxAsync(new { isolation = level, template = "small" });
        var cgroups = (Limits.CgroupLimiter)Broker.Services.GetService(typeof(Limits.CgroupLimiter))!;

        var fill = await client.ShAsync(sandbox.Id, "head -c 16000000 /dev/zero > big 2>/dev/null; echo $?; df -k /workspace | tail -1 | tr -s ' ' | cut -d' ' -f2");
        var group = Broker.Manager.Find($"template-small-{level}", sandbox.Id)!.Cgroup;

        var lines = fill.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEqual("0", lines[0]); // 16 MB do not fit in an 8 MiB workspace
        Assert.Equal(8192, int.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture));
        if (cgroups.Enabled)
        {
            var memory = cgroups.Dirs(group!).Select(d => Path.Combine(d, cgroups.Support.Version == 1 ? "memory.limit_in_bytes" : "memory.max")).First(File.Exists);
            Assert.Equal("134217728", File.ReadAllText(memory).Trim());
        }
    }

    [Fact]
    public async Task Templates_are_listed_with_whether_the_tier_may_use_them_and_whether_this_host_can()
    {
        var client = Broker.ClientFor("template-list");

        var listed = await JsonAsync(await client.GetAsync("/v1/sandboxes/templates"), HttpStatusCode.OK);
        var byName = listed.EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);

        Assert.Equal(["default", "elsewhere", "small", "tools"], byName.Keys.Order());
        Assert.Equal("/opt/template", byName["tools"].GetProperty("layer").GetString());
        Assert.True(byName["tools"].GetProperty("allowed").GetBoolean());
        Assert.True(byName["tools"].GetProperty("available").GetBoolean());
        Assert.Equal(600, byName["tools"].GetProperty("timeoutSeconds").GetInt32());
        Assert.Contains("PATH", byName["tools"].GetProperty("environment").EnumerateArray().Select(e => e.GetString()));
        Assert.False(byName["elsewhere"].GetProperty("available").GetBoolean());
        Assert.Contains("/nonexistent/agentcloud-layer", byName["elsewhere"].GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, byName["default"].GetProperty("layer").ValueKind);
    }

    [Fact]
    public async Task Unknown_forbidden_and_unavailable_templates_are_refused_at_create()
    {
        var free = Broker.ClientFor("template-free");
        Broker.Policies.Set(FakePolicies.Default("template-free") with { Tier = "free" });
        var pro = Broker.ClientFor("template-pro");

        using var unknown = await pro.PostAsJsonAsync("/v1/sandboxes", new { template = "nope" });
        using var forbidden = await free.PostAsJsonAsync("/v1/sandboxes", new { template = "tools" });
        using var unavailable = await pro.PostAsJsonAsync("/v1/sandboxes", new { template = "elsewhere" });
        var listedForFree = await JsonAsync(await free.GetAsync("/v1/sandboxes/templates"), HttpStatusCode.OK);
        var created = await pro.CreateSandboxAsync(new { template = "tools" });
        var view = await JsonAsync(await pro.GetAsync($"/v1/sandboxes/{created.Id}"), HttpStatusCode.OK);

        await BrokerCalls.AssertProblemAsync(unknown, 400);
        await BrokerCalls.AssertProblemAsync(forbidden, 403);
        await BrokerCalls.AssertProblemAsync(unavailable, 503);
        Assert.False(listedForFree.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "tools").GetProperty("allowed").GetBoolean());
        var lifetime = view.GetProperty("expiresAt").GetDateTimeOffset() - view.GetProperty("createdAt").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromSeconds(600), lifetime);
    }
}
