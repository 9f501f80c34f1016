using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Tests;

[Collection(BrokerCollection.Name)]
public sealed class LadderTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    private IsolationCatalog Catalog => Broker.Services.GetRequiredService<IsolationCatalog>();

    [Fact]
    public async Task Capabilities_list_the_ladder_with_what_this_host_lacks_and_why()
    {
        var client = Broker.ClientFor("ladder-caps");

        using var doc = JsonDocument.Parse(await client.GetStringAsync("/v1/sandboxes/capabilities"));

        var levels = doc.RootElement.GetProperty("levels").EnumerateArray()
            .ToDictionary(l => l.GetProperty("level").GetString()!, l => (Available: l.GetProperty("available").GetBoolean(), Reason: l.GetProperty("reason").GetString()!));
        Assert.Equal(["firecracker", "gvisor", "bubblewrap", "namespace", "none"], levels.Keys);
        var host = new HostProbe();
        if (!host.DeviceUsable("/dev/kvm"))
        {
            Assert.False(levels["firecracker"].Available);
        }
        if (!host.OnPath("runsc", out _))
        {
            Assert.False(levels["gvisor"].Available);
            Assert.Contains("runsc", levels["gvisor"].Reason);
        }
        Assert.Equal(host.OnPath("bwrap", out _), levels["bubblewrap"].Available);
        Assert.False(levels["none"].Available);
        Assert.Contains("operator-only", levels["none"].Reason);
        Assert.True(doc.RootElement.GetProperty("sandbox").GetProperty("available").GetBoolean());
    }

    [Fact]
    public async Task Health_details_say_which_levels_are_available_and_why_not()
    {
        using var anonymous = Broker.CreateClient();

        using var full = await anonymous.GetAsync("/health");
        var text = await full.Content.ReadAsStringAsync();

        foreach (var level in Catalog.Levels)
        {
            Assert.Contains($"{level.Level}: {(level.Available ? "available" : "unavailable")}", text);
        }
        Assert.Contains("none: unavailable", text);
    }

    [Fact]
    public async Task Tier_accepting_only_unavailable_levels_gets_409_naming_both_sides()
    {
        var missing = Catalog.Levels.Where(l => !l.Available && l.Level != "none").Select(l => l.Level).ToList();
        Assert.NotEmpty(missing); // none of these hosts has everything; firecracker needs KVM at least
        Broker.Policies.Set(FakePolicies.Default("ladder-vm") with { Tier = "regulated", SandboxIsolationLevels = missing });
        var client = Broker.ClientFor("ladder-vm");

        using var response = await client.PostAsJsonAsync("/v1/sandboxes", new { });

        await BrokerCalls.AssertProblemAsync(response, 409);
        var detail = await response.Content.ReadAsStringAsync();
        Assert.Contains(string.Join(", ", missing), detail);
        Assert.Contains(string.Join(", ", Catalog.Available), detail);
    }

    [Fact]
    public async Task Requested_level_is_used_down_to_the_tier_floor_and_a_weaker_one_is_400_naming_the_allowed()
    {
        Broker.Policies.Set(FakePolicies.Default("ladder-pick") with { SandboxIsolationLevels = ["bubblewrap", "namespace"] });
        Broker.Policies.Set(FakePolicies.Default("ladder-floor") with { Tier = "strict", SandboxIsolationLevels = ["bubblewrap"] });
        Broker.Policies.Set(FakePolicies.Default("ladder-up") with { SandboxIsolationLevels = ["namespace"] });
        var client = Broker.ClientFor("ladder-pick");

        var ns = await client.CreateSandboxAsync(new { isolation = "namespace" });
        using var none = await client.PostAsJsonAsync("/v1/sandboxes", new { isolation = "none" });
        using var belowFloor = await Broker.ClientFor("ladder-floor").PostAsJsonAsync("/v1/sandboxes", new { isolation = "namespace" });
        var stronger = await Broker.ClientFor("ladder-up").CreateSandboxAsync(new { isolation = "bubblewrap" });
        var run = await client.ExecAsync(ns.Id, ["sh", "-c", "echo $$; id -u"]);

        Assert.Equal("namespace", ns.Isolation);
        Assert.Equal("namespace", (await client.GetFromJsonAsync<SandboxDto>($"/v1/sandboxes/{ns.Id}"))!.Isolation);
        await BrokerCalls.AssertProblemAsync(none, 400);
        await BrokerCalls.AssertProblemAsync(belowFloor, 400);
        Assert.Contains("firecracker, gvisor, bubblewrap]", await belowFloor.Content.ReadAsStringAsync());
        Assert.Equal("bubblewrap", stronger.Isolation);
        Assert.Equal("1\n1000\n", run.Stdout);
    }

    [Fact]
    public async Task A_broker_that_would_run_sandboxes_under_the_platform_uid_hands_out_none_and_says_why()
    {
        Assert.Equal(Environment.UserName == "root", SandboxUids.Refusal() is null);
        const string reason = "the broker runs as uid 1000, not root";
        await using var broker = new BrokerFactory(fixture.Redis.ConnectionString)
        {
            TestServices = services => services.AddSingleton(sp => new IsolationCatalog(
                sp.GetServices<ISandboxBackend>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SandboxBrokerOptions>>(), reason)),
        };
        var client = broker.ClientFor("ladder-uid");

        using var caps = JsonDocument.Parse(await client.GetStringAsync("/v1/sandboxes/capabilities"));
        using var create = await client.PostAsJsonAsync("/v1/sandboxes", new { });
        var health = await (await broker.CreateClient().GetAsync("/health")).Content.ReadAsStringAsync();

        Assert.False(caps.RootElement.GetProperty("sandbox").GetProperty("available").GetBoolean());
        Assert.Contains(reason, caps.RootElement.GetProperty("sandbox").GetProperty("reason").GetString());
        Assert.All(caps.RootElement.GetProperty("levels").EnumerateArray(), l => Assert.False(l.GetProperty("available").GetBoolean()));
        await BrokerCalls.AssertProblemAsync(create, 503);
        Assert.Contains(reason, await create.Content.ReadAsStringAsync());
        Assert.Contains(reason, health);
    }

    [Fact]
    public async Task Tenant_over_its_concurrency_limit_gets_429_with_retry_after()
    {
        Broker.Policies.Set(FakePolicies.Default("ladder-limit") with { MaxConcurrentSandboxes = 2 });
        var client = Broker.ClientFor("ladder-limit");
        var first = await client.CreateSandboxAsync();
        await client.CreateSandboxAsync();

        using var third = await client.PostAsJsonAsync("/v1/sandboxes", new { });
        await BrokerCalls.AssertProblemAsync(third, 429);
        Assert.NotNull(third.Headers.RetryAfter);
        (await client.DeleteAsync($"/v1/sandboxes/{first.Id}")).Dispose();
        await client.CreateSandboxAsync();
    }

    [Fact]
    public async Task Dedicated_pool_slots_never_serve_another_tenant()
    {
        Broker.Policies.Set(FakePolicies.Default("ladder-dedicated") with { Tier = "enterprise", DedicatedSandboxPool = true });
        var dedicated = Broker.ClientFor("ladder-dedicated");
        var shared = Broker.ClientFor("ladder-shared");

        var own = await dedicated.CreateSandboxAsync();
        var ownSlot = Broker.SlotOf("ladder-dedicated", own.Id).SlotId;
        (await dedicated.DeleteAsync($"/v1/sandboxes/{own.Id}")).Dispose();
        var other = await shared.CreateSandboxAsync();
        var again = await dedicated.CreateSandboxAsync();

        Assert.Equal("dedicated", own.Pool);
        Assert.Equal("shared", other.Pool);
        Assert.NotEqual(ownSlot, Broker.SlotOf("ladder-shared", other.Id).SlotId);
        Assert.Equal("dedicated", again.Pool);
        Assert.True(Broker.SlotOf("ladder-dedicated", again.Id).SlotId == ownSlot || Broker.Pools.Contains(ownSlot));
    }

    [Fact]
    public async Task Deleting_a_sandbox_emits_its_seconds_as_a_usage_event()
    {
        var client = Broker.ClientFor("ladder-usage");
        var sandbox = await client.CreateSandboxAsync();
        await client.ExecAsync(sandbox.Id, ["true"]);

        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        using var again = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await BrokerCalls.AssertProblemAsync(again, 404);
        var entries = await fixture.Redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName);
        var events = entries.Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e?.EventId == $"sandbox:{sandbox.Id}").ToList();
        var usage = Assert.Single(events)!;
        Assert.Equal("ladder-usage", usage.TenantId);
        Assert.Equal("sandbox", usage.Kind);
        Assert.Equal($"sandbox:{sandbox.Isolation}", usage.Resource);
        Assert.True(usage.SandboxSeconds > 0);
    }

    [Fact]
    public async Task Offboarding_a_tenant_ends_its_sandboxes_and_removes_its_folder()
    {
        Broker.Policies.Set(FakePolicies.Default("ladder-gone") with { DedicatedSandboxPool = true });
        var gone = Broker.ClientFor("ladder-gone");
        var stays = Broker.ClientFor("ladder-stays");
        var sandbox = await gone.CreateSandboxAsync();
        var other = await stays.CreateSandboxAsync();
        var area = Broker.Services.GetRequiredService<AgentCloud.SandboxBroker.Sandboxes.SlotLayout>().TenantDirectory("ladder-gone");

        await fixture.Redis.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal(PlatformChannels.TenantOffboarded), "ladder-gone");

        await IsolationTests.WaitUntil(() => Broker.Manager.Find("ladder-gone", sandbox.Id) is null && !Directory.Exists(area));
        Assert.NotNull(Broker.Manager.Find("ladder-stays", other.Id));
    }
}
