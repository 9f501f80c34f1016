using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.Platform.Contracts;
using AgentCloud.SandboxBroker.Kubernetes;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>Redis, an <see cref="ApiServerDouble"/>, a broker with the kubernetes level on it, and one with its local ladder off too.</summary>
public sealed class ClusterBrokerFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentcloud-kube-broker-").FullName;

    public RedisServerFixture Redis { get; } = new();

    public ApiServerDouble Api { get; private set; } = null!;

    public BrokerFactory Broker { get; private set; } = null!;

    /// <summary>The settings that point a broker at <see cref="Api"/>.</summary>
    public Dictionary<string, string?> KubeSettings { get; private set; } = null!;

    /// <summary>As the published broker runs: the kubernetes level only.</summary>
    public BrokerFactory ClusterOnly { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        Api = await ApiServerDouble.StartAsync();
        var kube = new Dictionary<string, string?>
        {
            ["SandboxBroker:Kubernetes:Enabled"] = "true",
            ["SandboxBroker:Kubernetes:Kubeconfig"] = Api.Kubeconfig(_dir),
            ["SandboxBroker:Kubernetes:Namespace"] = "sbx",
            ["SandboxBroker:SweepInterval"] = "00:00:00.200",
            ["SandboxBroker:Kubernetes:CreateTimeout"] = "00:00:03",
            ["SandboxBroker:Kubernetes:DeleteTimeout"] = "00:00:02",
        };
        KubeSettings = kube;
        Broker = new BrokerFactory(Redis.ConnectionString, kube);
        _ = Broker.Server;
        var ladderOff = new Dictionary<string, string?>(kube);
        foreach (var (level, i) in new[] { "firecracker", "gvisor", "bubblewrap", "namespace", "none" }.Select((l, i) => (l, i)))
        {
            ladderOff[$"SandboxBroker:DisabledLevels:{i}"] = level;
        }
        ClusterOnly = new BrokerFactory(Redis.ConnectionString, ladderOff);
        _ = ClusterOnly.Server;
    }

    public async Task DisposeAsync()
    {
        await ClusterOnly.DisposeAsync();
        await Broker.DisposeAsync();
        await Api.DisposeAsync();
        await Redis.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>
/// The public /v1/sandboxes routes on the kubernetes level, against an API server double on loopback (see
/// <see cref="ApiServerDouble"/>): which creates reach the cluster, that every route on a cluster sandbox answers as on the
/// host (and 501 for what the level lacks), another tenant's 404 on every route, the limit over host and cluster,
/// one usage event per lease, no secret in an exec's URL, and claims deleted by DELETE and by the janitor. It proves the
/// broker's wiring, not Kubernetes: the real cluster's behaviour is <see cref="KubernetesClusterTests"/>'s.
/// </summary>
public sealed class ClusterSandboxApiTests(ClusterBrokerFixture fixture) : IClassFixture<ClusterBrokerFixture>
{
    private static readonly object Kube = new { isolation = "kubernetes" };

    private async Task<List<UsageEvent>> UsageOfAsync(string sandboxId) =>
        (await fixture.Redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e?.EventId == $"sandbox:{sandboxId}").Select(e => e!).ToList();

    /// <summary>
    /// The usage of a sandbox ended in the background (suspension, expiry): its claim goes first and the bill right after
    /// (the fleet's record of the lease ends in between), so this waits, bounded, for the first event to arrive.
    /// </summary>
    private async Task<List<UsageEvent>> BilledUsageOfAsync(string sandboxId)
    {
        var usage = await UsageOfAsync(sandboxId);
        for (var i = 0; i < 100 && usage.Count == 0; i++)
        {
            await Task.Delay(50);
            usage = await UsageOfAsync(sandboxId);
        }
        return usage;
    }

    [Fact]
    public async Task Capabilities_list_the_kubernetes_level_available_and_what_it_does_not_offer()
    {
        var caps = await fixture.Broker.ClientFor("kube-caps").GetFromJsonAsync<JsonElement>("/v1/sandboxes/capabilities");

        var kube = caps.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("level").GetString() == "kubernetes");
        Assert.True(kube.GetProperty("available").GetBoolean(), kube.ToString());
        Assert.Contains("not offered", kube.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_broker_whose_only_level_is_the_cluster_is_healthy()
    {
        var services = fixture.ClusterOnly.Services;
        var check = new AgentCloud.SandboxBroker.Isolation.IsolationHealthCheck(services.GetRequiredService<AgentCloud.SandboxBroker.Isolation.IsolationCatalog>(),
            services.GetRequiredService<AgentCloud.SandboxBroker.Limits.CgroupLimiter>());

        var health = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, health.Status);
        Assert.Contains("kubernetes: available", health.Description);
    }

    [Fact]
    public async Task A_kubernetes_sandbox_runs_execs_keeps_files_is_listed_deleted_and_billed_once()
    {
        var client = fixture.Broker.ClientFor("kube-life");

        var sandbox = await client.CreateSandboxAsync(Kube);
        var claim = SandboxManifests.ClaimName(sandbox.Id);

        Assert.Equal("kubernetes", sandbox.Isolation);
        Assert.True(fixture.Api.LiveClaims.ContainsKey(claim));
        Assert.Equal(SandboxLabels.HashOf("kube-life"), fixture.Api.LiveClaims[claim]["metadata"]!["labels"]![SandboxLabels.TenantHash]!.GetValue<string>());
        Assert.Contains((await client.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes"))!, s => s.Id == sandbox.Id && s.Isolation == "kubernetes");
        Assert.Equal("kubernetes", (await client.GetFromJsonAsync<SandboxDto>($"/v1/sandboxes/{sandbox.Id}"))!.Isolation);

        var exec = await client.ExecAsync(sandbox.Id, ["sh", "-c", "printf '%s/%s' \"$GREETING\" \"$(cat)\"; exit 3"], stdin: "from stdin", env: new() { ["GREETING"] = "hi" });
        Assert.Equal(3, exec.ExitCode);
        Assert.Equal("hi/from stdin", exec.Stdout);

        byte[] content = [0, 1, 2, 255, 254, (byte)'\n', 10, 13];
        using (var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/src/data.bin", new ByteArrayContent(content)))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }
        Assert.Equal(content, await client.GetByteArrayAsync($"/v1/sandboxes/{sandbox.Id}/files/src/data.bin"));
        Assert.Equal("8", (await client.ShAsync(sandbox.Id, "wc -c < src/data.bin | tr -d ' \n'")).Stdout);

        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(fixture.Api.LiveClaims.ContainsKey(claim));
        Assert.Contains(claim, fixture.Api.DeletedClaims);
        using var again = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        await BrokerCalls.AssertProblemAsync(again, 404);
        using var gone = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}");
        await BrokerCalls.AssertProblemAsync(gone, 404);
        var usage = Assert.Single(await BilledUsageOfAsync(sandbox.Id));
        Assert.Equal("sandbox:kubernetes", usage.Resource);
        Assert.Equal("kube-life", usage.TenantId);
        Assert.Equal("ok", usage.Status);
        Assert.True(usage.SandboxSeconds > 0);
    }

    [Fact]
    public async Task A_streamed_exec_sends_the_pods_output_as_events_and_then_its_exit()
    {
        var client = fixture.Broker.ClientFor("kube-stream");
        var sandbox = await client.CreateSandboxAsync(Kube);

        using var response = await client.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "sh", "-c", "echo out; echo err >&2; exit 4" }, stream = true });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("event: stdout", body);
        Assert.Contains("out", body);
        Assert.Contains("event: stderr", body);
        Assert.Contains("event: exit", body);
        Assert.Contains("\"exitCode\":4", body);
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }

    [Fact]
    public async Task An_exec_whose_pod_cannot_be_reached_is_a_503_problem_streamed_or_not()
    {
        var client = fixture.Broker.ClientFor("kube-unreachable");
        var sandbox = await client.CreateSandboxAsync(Kube);
        Directory.Delete(fixture.Api.PodFolder(SandboxManifests.ClaimName(sandbox.Id) + "-pod"), recursive: true);

        foreach (var stream in new[] { true, false })
        {
            using var response = await client.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "true" }, stream });
            await BrokerCalls.AssertProblemAsync(response, 503);
            Assert.NotNull(response.Headers.RetryAfter);
        }
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }

    [Fact]
    public async Task A_keyed_exec_retried_is_answered_from_the_first_run()
    {
        var client = fixture.Broker.ClientFor("kube-idem");
        var sandbox = await client.CreateSandboxAsync(Kube);
        async Task<string> RunAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{sandbox.Id}/exec")
            {
                Content = JsonContent.Create(new { command = new[] { "sh", "-c", "echo x >> runs; wc -l < runs" } }),
            };
            request.Headers.Add("Idempotency-Key", "kube-idem-1");
            using var response = await client.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Equal("1", (await client.ShAsync(sandbox.Id, "wc -l < runs | tr -d ' \n'")).Stdout);
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }

    [Fact]
    public async Task Another_tenant_gets_404_on_every_route_of_a_kubernetes_sandbox_and_it_survives()
    {
        var owner = fixture.Broker.ClientFor("kube-owner");
        var intruder = fixture.Broker.ClientFor("kube-intruder");
        var sandbox = await owner.CreateSandboxAsync(Kube);
        await owner.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/secret.txt", new StringContent("owner's"));
        var id = sandbox.Id;

        HttpRequestMessage[] attempts =
        [
            new(HttpMethod.Get, $"/v1/sandboxes/{id}"),
            new(HttpMethod.Delete, $"/v1/sandboxes/{id}"),
            new(HttpMethod.Post, $"/v1/sandboxes/{id}/exec") { Content = JsonContent.Create(new { command = new[] { "cat", "secret.txt" } }) },
            new(HttpMethod.Post, $"/v1/sandboxes/{id}/exec") { Content = JsonContent.Create(new { command = new[] { "cat", "secret.txt" }, stream = true }) },
            new(HttpMethod.Get, $"/v1/sandboxes/{id}/files/secret.txt"),
            new(HttpMethod.Put, $"/v1/sandboxes/{id}/files/secret.txt") { Content = new StringContent("intruder's") },
            new(HttpMethod.Get, $"/v1/sandboxes/{id}/stat/secret.txt"),
            new(HttpMethod.Get, $"/v1/sandboxes/{id}/dirs/src"),
            new(HttpMethod.Post, $"/v1/sandboxes/{id}/pause"),
            new(HttpMethod.Post, $"/v1/sandboxes/{id}/processes") { Content = JsonContent.Create(new { command = new[] { "sleep", "1" } }) },
        ];
        foreach (var attempt in attempts)
        {
            using var response = await intruder.SendAsync(attempt);
            await BrokerCalls.AssertProblemAsync(response, 404);
        }

        Assert.DoesNotContain((await intruder.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes"))!, s => s.Id == id);
        Assert.True(fixture.Api.LiveClaims.ContainsKey(SandboxManifests.ClaimName(id)));
        Assert.Equal("owner's", await owner.GetStringAsync($"/v1/sandboxes/{id}/files/secret.txt"));
        (await owner.DeleteAsync($"/v1/sandboxes/{id}")).Dispose();
    }

    [Fact]
    public async Task What_the_level_does_not_offer_is_answered_501_naming_it()
    {
        var client = fixture.Broker.ClientFor("kube-unsupported");
        var sandbox = await client.CreateSandboxAsync(Kube);

        foreach (var (method, path) in new[] { (HttpMethod.Post, "pause"), (HttpMethod.Post, "processes"), (HttpMethod.Get, "stat/x"), (HttpMethod.Get, "dirs/src") })
        {
            using var request = new HttpRequestMessage(method, $"/v1/sandboxes/{sandbox.Id}/{path}");
            if (method == HttpMethod.Post)
            {
                request.Content = JsonContent.Create(new { command = new[] { "true" } });
            }
            using var response = await client.SendAsync(request);
            await BrokerCalls.AssertProblemAsync(response, 501);
            Assert.Contains("kubernetes level", await response.Content.ReadAsStringAsync());
        }
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }

    [Fact]
    public async Task File_paths_outside_the_workspace_are_refused_and_a_missing_file_is_404()
    {
        var client = fixture.Broker.ClientFor("kube-paths");
        var sandbox = await client.CreateSandboxAsync(Kube);

        using var escape = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/a%2F..%2F..%2Fetc%2Fpasswd");
        await BrokerCalls.AssertProblemAsync(escape, 400);
        using var missing = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/nothing-here.txt");
        await BrokerCalls.AssertProblemAsync(missing, 404);
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }

    [Fact]
    public async Task A_write_to_a_full_disk_is_507_and_file_calls_to_an_unreachable_pod_are_503()
    {
        var client = fixture.Broker.ClientFor("kube-disk");
        var sandbox = await client.CreateSandboxAsync(Kube);
        // The tenant points a workspace file at a device that is always full: the pod's write fails with ENOSPC.
        Assert.Equal(0, (await client.ShAsync(sandbox.Id, "ln -s /dev/full full.bin")).ExitCode);

        using (var full = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/full.bin", new ByteArrayContent(new byte[4096])))
        {
            await BrokerCalls.AssertProblemAsync(full, 507);
        }
        Directory.Delete(fixture.Api.PodFolder(SandboxManifests.ClaimName(sandbox.Id) + "-pod"), recursive: true);
        using (var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/a.txt", new StringContent("x")))
        {
            await BrokerCalls.AssertProblemAsync(put, 503);
            Assert.NotNull(put.Headers.RetryAfter);
        }
        using (var get = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/a.txt"))
        {
            await BrokerCalls.AssertProblemAsync(get, 503);
        }
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }

    [Fact]
    public async Task An_execs_environment_never_appears_in_the_exec_url_the_api_server_logs()
    {
        var client = fixture.Broker.ClientFor("kube-secret");
        var sandbox = await client.CreateSandboxAsync(Kube);
        const string secret = "hunter2-not-in-any-url";

        var exec = await client.ExecAsync(sandbox.Id, ["printenv", "TOKEN"], env: new() { ["TOKEN"] = secret });

        Assert.Equal(secret + "\n", exec.Stdout);
        Assert.DoesNotContain(fixture.Api.ExecUrls, url => url.Contains("hunter2", StringComparison.Ordinal));
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }

    private IEnumerable<string> ClaimsCreatedFor(string tenant) =>
        fixture.Api.CreatedClaims.Where(c => c.TenantHash == SandboxLabels.HashOf(tenant)).Select(c => c.Name);

    [Theory]
    [InlineData("kube-stuck", "stuck")]
    [InlineData("kube-get-500", "500")]
    [InlineData("kube-get-hang", "hang")]
    public async Task A_create_that_times_out_or_meets_an_api_error_deletes_its_claim_and_answers_503(string tenant, string fault)
    {
        fixture.Api.Faults[SandboxLabels.HashOf(tenant)] = fault;
        var client = fixture.Broker.ClientFor(tenant);

        using var response = await client.PostAsJsonAsync("/v1/sandboxes", Kube);

        await BrokerCalls.AssertProblemAsync(response, 503);
        Assert.NotNull(response.Headers.RetryAfter);
        var created = Assert.Single(ClaimsCreatedFor(tenant));
        Assert.Contains(created, fixture.Api.DeletedClaims);
        Assert.False(fixture.Api.LiveClaims.ContainsKey(created));
        Assert.Empty(await client.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes") ?? []);
    }

    [Fact]
    public async Task A_create_whose_claim_cannot_be_deleted_either_stays_journaled_for_the_next_start()
    {
        const string tenant = "kube-claim-left";
        var hash = SandboxLabels.HashOf(tenant);
        fixture.Api.Faults[hash] = "stuck";
        fixture.Api.HangingDeletes[hash] = true;
        var journal = fixture.Broker.Services.GetRequiredService<AgentCloud.SandboxBroker.Leases.LeaseJournal>();

        using var response = await fixture.Broker.ClientFor(tenant).PostAsJsonAsync("/v1/sandboxes", Kube);

        await BrokerCalls.AssertProblemAsync(response, 503);
        var claim = Assert.Single(ClaimsCreatedFor(tenant));
        var left = Assert.Single(journal.Read(), l => l.TenantId == tenant);
        Assert.Equal(claim, SandboxManifests.ClaimName(left.SandboxId));
        fixture.Api.HangingDeletes.TryRemove(hash, out _);
        fixture.Api.LiveClaims.TryRemove(claim, out _);
        journal.Forget(left.SandboxId);
    }

    [Fact]
    public async Task A_caller_that_goes_away_during_a_create_leaves_no_claim()
    {
        const string tenant = "kube-caller-gone";
        fixture.Api.Faults[SandboxLabels.HashOf(tenant)] = "stuck";
        using var gone = new CancellationTokenSource();
        var create = fixture.Broker.ClientFor(tenant).PostAsJsonAsync("/v1/sandboxes", Kube, gone.Token);
        await IsolationTests.WaitUntil(() => ClaimsCreatedFor(tenant).Any());

        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => create);

        var claim = ClaimsCreatedFor(tenant).Single();
        await IsolationTests.WaitUntil(() => fixture.Api.DeletedClaims.Contains(claim));
        Assert.False(fixture.Api.LiveClaims.ContainsKey(claim));
        await IsolationTests.WaitUntil(() => !fixture.Broker.Services.GetRequiredService<AgentCloud.SandboxBroker.Leases.LeaseJournal>().Read().Any(l => l.TenantId == tenant));
    }

    [Fact]
    public async Task A_sandbox_ended_while_its_claim_is_made_is_hidden_then_its_claim_deleted_and_the_create_refused()
    {
        const string tenant = "kube-ended-creating";
        await using var broker = new BrokerFactory(fixture.Redis.ConnectionString,
            new Dictionary<string, string?>(fixture.KubeSettings) { ["SandboxBroker:Kubernetes:CreateTimeout"] = "00:01:00" });
        var client = broker.ClientFor(tenant);
        fixture.Api.Faults[SandboxLabels.HashOf(tenant)] = "stuck";
        var create = client.PostAsJsonAsync("/v1/sandboxes", Kube);
        await IsolationTests.WaitUntil(() => ClaimsCreatedFor(tenant).Any());
        var claim = ClaimsCreatedFor(tenant).Single();
        var id = broker.Services.GetRequiredService<ClusterLeases>().All().Single(l => l.TenantId == tenant).Id;

        // Still being created: not the tenant's to list, delete (to get under its limit) or use.
        Assert.Empty(await client.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes") ?? []);
        using (var delete = await client.DeleteAsync($"/v1/sandboxes/{id}"))
        {
            await BrokerCalls.AssertProblemAsync(delete, 404);
        }
        await broker.Services.GetRequiredService<ClusterLeasing>().OffboardAsync(tenant);
        // Now the controller makes it ready: the create goes on, finds its lease ended, deletes the claim and refuses.
        fixture.Api.Faults.TryRemove(SandboxLabels.HashOf(tenant), out _);
        fixture.Api.LiveClaims[claim]["status"] = new JsonObject
        {
            ["sandbox"] = new JsonObject { ["name"] = claim + "-sbx" },
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
        };
        using var response = await create;

        await BrokerCalls.AssertProblemAsync(response, 503);
        Assert.Contains(claim, fixture.Api.DeletedClaims);
        Assert.False(fixture.Api.LiveClaims.ContainsKey(claim));
        Assert.DoesNotContain(broker.Services.GetRequiredService<ClusterLeases>().All(), l => l.TenantId == tenant);
        Assert.Empty(await UsageOfAsync(id));
    }

    [Fact]
    public async Task A_delete_the_api_server_never_answers_still_ends_and_bills_the_lease_within_the_delete_timeout()
    {
        const string tenant = "kube-delete-hang";
        var client = fixture.Broker.ClientFor(tenant);
        var sandbox = await client.CreateSandboxAsync(Kube);
        fixture.Api.HangingDeletes[SandboxLabels.HashOf(tenant)] = true;

        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal("ok", Assert.Single(await UsageOfAsync(sandbox.Id)).Status);
        using var gone = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}");
        await BrokerCalls.AssertProblemAsync(gone, 404);
        fixture.Api.HangingDeletes.TryRemove(SandboxLabels.HashOf(tenant), out _);
        fixture.Api.LiveClaims.TryRemove(SandboxManifests.ClaimName(sandbox.Id), out _);
        // The broker is still up (a hang faults no background service).
        (await client.DeleteAsync($"/v1/sandboxes/{(await client.CreateSandboxAsync(Kube)).Id}")).Dispose();
    }

    [Fact]
    public async Task The_tenants_limit_counts_host_and_cluster_sandboxes_together()
    {
        fixture.Broker.Policies.Set(FakePolicies.Default("kube-limit") with { MaxConcurrentSandboxes = 1 });
        var client = fixture.Broker.ClientFor("kube-limit");
        var cluster = await client.CreateSandboxAsync(Kube);

        using var host = await client.PostAsJsonAsync("/v1/sandboxes", new { });
        using var second = await client.PostAsJsonAsync("/v1/sandboxes", Kube);

        await BrokerCalls.AssertProblemAsync(host, 429);
        await BrokerCalls.AssertProblemAsync(second, 429);
        (await client.DeleteAsync($"/v1/sandboxes/{cluster.Id}")).Dispose();
        var hostSandbox = await client.CreateSandboxAsync();
        using var third = await client.PostAsJsonAsync("/v1/sandboxes", Kube);
        await BrokerCalls.AssertProblemAsync(third, 429);
        (await client.DeleteAsync($"/v1/sandboxes/{hostSandbox.Id}")).Dispose();
    }

    [Fact]
    public async Task A_tenant_whose_levels_name_kubernetes_first_gets_it_and_others_stay_on_the_ladder()
    {
        fixture.Broker.Policies.Set(FakePolicies.Default("kube-first") with { SandboxIsolationLevels = ["kubernetes", "gvisor", "namespace"] });

        var kube = await fixture.Broker.ClientFor("kube-first").CreateSandboxAsync();
        var host = await fixture.Broker.ClientFor("kube-ladder").CreateSandboxAsync();

        Assert.Equal("kubernetes", kube.Isolation);
        Assert.NotEqual("kubernetes", host.Isolation);
        (await fixture.Broker.ClientFor("kube-first").DeleteAsync($"/v1/sandboxes/{kube.Id}")).Dispose();
        (await fixture.Broker.ClientFor("kube-ladder").DeleteAsync($"/v1/sandboxes/{host.Id}")).Dispose();
    }

    [Fact]
    public async Task With_the_local_ladder_off_a_plain_create_goes_to_the_cluster_and_a_ladder_level_is_refused()
    {
        var client = fixture.ClusterOnly.ClientFor("kube-only");

        var sandbox = await client.CreateSandboxAsync();
        using var gvisor = await client.PostAsJsonAsync("/v1/sandboxes", new { isolation = "gvisor" });

        Assert.Equal("kubernetes", sandbox.Isolation);
        await BrokerCalls.AssertProblemAsync(gvisor, 409);
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }

    [Fact]
    public async Task A_host_template_is_refused_for_a_kubernetes_sandbox()
    {
        using var response = await fixture.Broker.ClientFor("kube-template").PostAsJsonAsync("/v1/sandboxes", new { isolation = "kubernetes", template = "python" });

        await BrokerCalls.AssertProblemAsync(response, 400);
    }

    [Fact]
    public async Task Suspending_a_tenant_deletes_its_claims_and_leaves_others()
    {
        var suspended = fixture.Broker.ClientFor("kube-suspend");
        var stays = fixture.Broker.ClientFor("kube-suspend-bystander");
        var sandbox = await suspended.CreateSandboxAsync(Kube);
        var other = await stays.CreateSandboxAsync(Kube);

        await fixture.Redis.Connection.GetSubscriber().PublishAsync(StackExchange.Redis.RedisChannel.Literal(PlatformChannels.TenantSuspended), "kube-suspend");

        await IsolationTests.WaitUntil(() => !fixture.Api.LiveClaims.ContainsKey(SandboxManifests.ClaimName(sandbox.Id)));
        Assert.True(fixture.Api.LiveClaims.ContainsKey(SandboxManifests.ClaimName(other.Id)));
        Assert.Equal("aborted", Assert.Single(await BilledUsageOfAsync(sandbox.Id)).Status);
        (await stays.DeleteAsync($"/v1/sandboxes/{other.Id}")).Dispose();
    }

    [Fact]
    public async Task The_runs_key_reaches_only_the_pod_is_revoked_on_delete_and_no_key_means_no_claim_left()
    {
        var credentials = new RunKeyTests.RecordingRunCredentials();
        await using var broker = new BrokerFactory(fixture.Redis.ConnectionString, new Dictionary<string, string?>(fixture.KubeSettings) { ["SandboxBroker:IssueRunKeys"] = "true" })
        {
            TestServices = services =>
            {
                services.RemoveAll<IRunCredentials>();
                services.AddSingleton<IRunCredentials>(credentials);
            },
        };
        var client = broker.ClientFor("kube-runkey");

        using var created = await client.PostAsJsonAsync("/v1/sandboxes", Kube);
        var body = await created.Content.ReadAsStringAsync();
        var sandbox = JsonSerializer.Deserialize<SandboxDto>(body, JsonSerializerOptions.Web)!;
        // Journaled before the key was minted, as meaning to issue one: a crash in between still ends the run.
        Assert.True(broker.Services.GetRequiredService<AgentCloud.SandboxBroker.Leases.LeaseJournal>().Read().Single(l => l.SandboxId == sandbox.Id).RunKeyIssued);
        var printed = await client.ExecAsync(sandbox.Id, ["sh", "-c", "echo \"$AGENTCLOUD_KEY $AGENTCLOUD_RUN_ID\""], env: new() { ["AGENTCLOUD_KEY"] = "my-own" });
        var minted = Assert.Single(credentials.Minted);
        Assert.Equal($"{minted.Key.Key} {sandbox.Id}", printed.Stdout.Trim());
        Assert.DoesNotContain(minted.Key.Key, body);
        Assert.DoesNotContain(fixture.Api.ExecUrls, url => url.Contains(minted.Key.Key, StringComparison.Ordinal));
        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(minted.Key.Id, deleted.Headers.GetValues(PlatformHeaders.RevokedKeys).Single());
        Assert.Equal([sandbox.Id], credentials.Revoked);

        credentials.Unavailable = true;
        var before = fixture.Api.LiveClaims.Count(c => c.Value["metadata"]!["labels"]![SandboxLabels.TenantHash]!.GetValue<string>() == SandboxLabels.HashOf("kube-runkey"));
        using var refused = await client.PostAsJsonAsync("/v1/sandboxes", Kube);
        await BrokerCalls.AssertProblemAsync(refused, 503);
        Assert.Equal(before, fixture.Api.LiveClaims.Count(c => c.Value["metadata"]!["labels"]![SandboxLabels.TenantHash]!.GetValue<string>() == SandboxLabels.HashOf("kube-runkey")));
        Assert.Empty(await client.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes") ?? []);
    }

    [Fact]
    public async Task A_broker_restarted_after_a_crash_deletes_the_claims_it_journaled_bills_them_and_leaves_others()
    {
        const string crashed = "sbx_crashedlease0001";
        var root = BrokerFactory.NewRoot();
        var journal = new AgentCloud.SandboxBroker.Leases.LeaseJournal(Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions { Root = root }));
        journal.Record(new(crashed, "kube-crash", "user", crashed, KubernetesLevel.Name, "shared", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), true));
        fixture.Api.LiveClaims[SandboxManifests.ClaimName(crashed)] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = SandboxManifests.ClaimName(crashed) } };
        fixture.Api.LiveClaims["agentcloud-sbx-another-replicas"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "agentcloud-sbx-another-replicas" } };

        var credentials = new RunKeyTests.RecordingRunCredentials();
        await using var restarted = new BrokerFactory(fixture.Redis.ConnectionString, fixture.KubeSettings, root)
        {
            TestServices = services =>
            {
                services.RemoveAll<IRunCredentials>();
                services.AddSingleton<IRunCredentials>(credentials);
            },
        };
        _ = restarted.Server;
        await IsolationTests.WaitUntil(() => !fixture.Api.LiveClaims.ContainsKey(SandboxManifests.ClaimName(crashed)));
        await IsolationTests.WaitUntil(() => !credentials.RecoveredEnds.IsEmpty);

        Assert.True(fixture.Api.LiveClaims.TryRemove("agentcloud-sbx-another-replicas", out _));
        var usage = Assert.Single(await UsageOfAsync(crashed));
        Assert.Equal("sandbox:kubernetes", usage.Resource);
        Assert.Equal("aborted", usage.Status);
        Assert.Equal(("kube-crash", crashed), Assert.Single(credentials.RecoveredEnds));
    }

    [Fact]
    public async Task The_janitor_deletes_an_expired_claim_and_bills_it_once_as_aborted()
    {
        var client = fixture.Broker.ClientFor("kube-expiry");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "kubernetes", timeoutSeconds = 1 });
        var claim = SandboxManifests.ClaimName(sandbox.Id);

        // Bounded wait for the sweep (every 200 ms here), not a timing assertion.
        for (var i = 0; i < 150 && fixture.Api.LiveClaims.ContainsKey(claim); i++)
        {
            await Task.Delay(100);
        }

        Assert.False(fixture.Api.LiveClaims.ContainsKey(claim));
        using var gone = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}");
        await BrokerCalls.AssertProblemAsync(gone, 404);
        var usage = Assert.Single(await BilledUsageOfAsync(sandbox.Id));
        Assert.Equal("aborted", usage.Status);
    }
}

/// <summary>A broker whose kubernetes level is not configured: asking for it is a clear refusal, not an unknown level.</summary>
public sealed class ClusterSandboxUnavailableTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Asking_for_kubernetes_where_it_is_unavailable_is_409_with_the_reason()
    {
        using var response = await fixture.Broker.ClientFor("kube-none").PostAsJsonAsync("/v1/sandboxes", new { isolation = "kubernetes" });

        await BrokerCalls.AssertProblemAsync(response, 409);
        Assert.Contains("no cluster configured", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_tenant_whose_levels_name_kubernetes_first_falls_back_to_the_rest_of_its_list_here()
    {
        fixture.Broker.Policies.Set(FakePolicies.Default("kube-fallback") with { SandboxIsolationLevels = ["kubernetes", "gvisor", "bubblewrap", "namespace"] });
        var client = fixture.Broker.ClientFor("kube-fallback");

        var sandbox = await client.CreateSandboxAsync();

        Assert.Contains(sandbox.Isolation, new[] { "gvisor", "bubblewrap", "namespace" });
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
    }
}
