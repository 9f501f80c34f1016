using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Fleet;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.SandboxBroker.Usage;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Two broker replicas on one machine, one Redis: each owns its own share of the machine, either answers for any
/// sandbox (forwarding to its owner), and when one dies the other settles its sandboxes as lost.
/// </summary>
public sealed class FleetTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private readonly RunKeyTests.RecordingRunCredentials _credentials = new();
    private readonly string _root = BrokerFactory.NewRoot();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        FleetHosts.RemoveInstanceFolders(_root);
    }

    private async Task<UsageEvent[]> UsageOfAsync(string sandboxId) =>
        (await _redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e?.EventId == SandboxUsage.EventIdOf(sandboxId)).Select(e => e!).ToArray();

    [Fact]
    public async Task Two_brokers_on_one_machine_claim_separate_roots_uids_and_cgroups_and_a_restart_cleans_only_its_own()
    {
        var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        var optionsA = a.Services.GetRequiredService<IOptions<SandboxBrokerOptions>>().Value;
        var optionsB = b.Services.GetRequiredService<IOptions<SandboxBrokerOptions>>().Value;

        Assert.Equal([0, 1], new[] { a.Services.GetRequiredService<HostInstance>().Number, b.Services.GetRequiredService<HostInstance>().Number }.Order());
        Assert.NotEqual(optionsA.Root, optionsB.Root);
        Assert.False(optionsB.Root.StartsWith(optionsA.Root + "/", StringComparison.Ordinal) || optionsA.Root.StartsWith(optionsB.Root + "/", StringComparison.Ordinal));
        Assert.True(optionsA.UidBase + optionsA.UidCount <= optionsB.UidBase || optionsB.UidBase + optionsB.UidCount <= optionsA.UidBase);
        Assert.NotEqual(a.Services.GetRequiredService<SlotLayout>().Sockets, b.Services.GetRequiredService<SlotLayout>().Sockets);
        Assert.NotEqual(a.Services.GetRequiredService<HostInstance>().HostId, b.Services.GetRequiredService<HostInstance>().HostId);

        // B's sandbox lives on while A stops and a new broker takes A's place and cleans up what A left.
        var client = b.Over("fleet-instances");
        var sandbox = await client.CreateSandboxAsync();
        await client.ShAsync(sandbox.Id, "echo kept > note.txt");
        await a.DisposeAsync();
        await using var restarted = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);

        Assert.Equal(optionsA.Root, restarted.Services.GetRequiredService<IOptions<SandboxBrokerOptions>>().Value.Root);
        Assert.Equal("kept", (await client.ShAsync(sandbox.Id, "cat note.txt")).Stdout.Trim());
        Assert.Equal("kept", (await restarted.Over("fleet-instances").ShAsync(sandbox.Id, "cat note.txt")).Stdout.Trim());
    }

    [Fact]
    public async Task A_sandbox_created_on_one_broker_is_used_and_deleted_through_the_other_and_another_tenant_gets_404()
    {
        await using var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        var onA = a.Over("fleet-owner");
        var onB = b.Over("fleet-owner");
        var sandbox = await onA.CreateSandboxAsync();
        Assert.Null(b.Manager.Find("fleet-owner", sandbox.Id)); // B holds nothing: every call below is forwarded to A

        Assert.Equal("hello from A", (await onB.ShAsync(sandbox.Id, "echo hello from A")).Stdout.Trim());
        using (var put = await onB.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/dir/note.txt", new StringContent("written through B")))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }
        Assert.Equal("written through B", await onB.GetStringAsync($"/v1/sandboxes/{sandbox.Id}/files/dir/note.txt"));
        Assert.Equal("written through B", (await onA.ShAsync(sandbox.Id, "cat dir/note.txt")).Stdout);
        var viewed = await onB.GetFromJsonAsync<SandboxDto>($"/v1/sandboxes/{sandbox.Id}");
        Assert.Equal(sandbox.Id, viewed!.Id);
        var listed = await onB.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes");
        Assert.Contains(listed!, s => s.Id == sandbox.Id);
        Assert.Single(listed!, s => s.Id == sandbox.Id);

        var stranger = b.Over("fleet-stranger");
        using (var peek = await stranger.GetAsync($"/v1/sandboxes/{sandbox.Id}"))
        {
            await BrokerCalls.AssertProblemAsync(peek, 404);
        }
        using (var exec = await stranger.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "/bin/true" } }))
        {
            await BrokerCalls.AssertProblemAsync(exec, 404);
        }
        using (var read = await stranger.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/dir/note.txt"))
        {
            await BrokerCalls.AssertProblemAsync(read, 404);
            Assert.DoesNotContain("written through B", await read.Content.ReadAsStringAsync());
        }
        Assert.DoesNotContain(await stranger.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes") ?? [], s => s.Id == sandbox.Id);

        using (var deleted = await onB.DeleteAsync($"/v1/sandboxes/{sandbox.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Null(a.Manager.Find("fleet-owner", sandbox.Id));
        using var gone = await onA.GetAsync($"/v1/sandboxes/{sandbox.Id}");
        await BrokerCalls.AssertProblemAsync(gone, 404);
        Assert.Single(await UsageOfAsync(sandbox.Id));
    }

    [Fact]
    public async Task A_streamed_exec_and_a_followed_log_through_the_other_broker_arrive_in_order_as_they_happen()
    {
        await using var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        var sandbox = await a.Over("fleet-stream").CreateSandboxAsync();
        var onB = b.Over("fleet-stream");
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // The second line is printed only once the first was read through both brokers: a buffering hop would hang here.
        await onB.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/go", new StringContent(""));
        using var stream = await ServerSentEventReader.StreamExecAsync(onB, sandbox.Id, new
        {
            command = new[] { "/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo line$i; done; echo first; while [ -e go ]; do sleep 0.05; done; echo second" },
            stream = true,
        }, cancellationToken: bound.Token);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        var early = await stream.UntilAsync(seen => string.Concat(seen.Where(e => e.Name == "stdout").Select(e => e.Text)).Contains("first"), bound.Token);
        Assert.DoesNotContain(early, e => e.Name == "exit");
        using (var removed = await onB.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "rm", "go" } }, bound.Token))
        {
            removed.EnsureSuccessStatusCode();
        }
        var rest = await stream.UntilAsync(seen => seen.Any(e => e.Name == "exit"), bound.Token);

        var stdout = string.Concat(early.Concat(rest).Where(e => e.Name == "stdout").Select(e => e.Text));
        Assert.Equal(string.Concat(Enumerable.Range(1, 8).Select(i => $"line{i}\n")) + "first\nsecond\n", stdout);

        var process = await onB.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "echo one; sleep 0.3; echo two"]);
        using var follow = await onB.FollowLogsAsync(sandbox.Id, process.Pid, bound.Token);
        var logged = await follow.UntilAsync(seen => string.Concat(seen.Where(e => e.Name == "stdout").Select(e => e.Text)).Contains("two"), bound.Token);
        Assert.Equal("one\ntwo\n", string.Concat(logged.Where(e => e.Name == "stdout").Select(e => e.Text)));
        Assert.Equal("0", (await onB.ExitedAsync(sandbox.Id, process.Pid, bound.Token)).ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_port_inside_a_sandbox_on_one_broker_is_reached_over_http_and_websocket_through_the_other()
    {
        await using var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        if (!a.Services.GetRequiredService<IsolationCatalog>().IsAvailable(IsolationLevels.Bubblewrap) || !File.Exists("/usr/bin/python3"))
        {
            Assert.False(a.Services.GetRequiredService<IsolationCatalog>().IsAvailable(IsolationLevels.Bubblewrap) && File.Exists("/usr/bin/python3"));
            return;
        }
        var sandbox = await a.Over("fleet-port").CreateSandboxAsync(new { isolation = IsolationLevels.Bubblewrap });
        var onB = b.Over("fleet-port");
        await onB.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/ws.py", new StringContent(WebSocketEchoServer.Python(8090)));
        await onB.StartProcessAsync(sandbox.Id, ["python3", "ws.py"]);
        await onB.ShAsync(sandbox.Id, "mkdir -p site && printf 'served on A' > site/index.html");
        await onB.StartProcessAsync(sandbox.Id, ["python3", "-m", "http.server", "8091", "--bind", "127.0.0.1"], cwd: "site");
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        HttpResponseMessage page;
        for (var tries = 0; (page = await onB.GetAsync($"/v1/sandboxes/{sandbox.Id}/ports/8091/index.html", bound.Token)).StatusCode == HttpStatusCode.BadGateway && tries < 100; tries++)
        {
            page.Dispose();
            await Task.Delay(100, bound.Token); // 502 until the server listens
        }
        using (page)
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("served on A", await page.Content.ReadAsStringAsync(bound.Token));
        }

        var wsUri = new UriBuilder(new Uri(b.Address(), $"/v1/sandboxes/{sandbox.Id}/ports/8090/chat")) { Scheme = "ws" }.Uri;
        ClientWebSocket? socket = null;
        for (var tries = 0; socket is null; tries++)
        {
            var attempt = new ClientWebSocket();
            attempt.Options.SetRequestHeader(TenantContextHeaders.Context, TestTenantContexts.Mint(TestTenantContexts.Tenant("fleet-port")));
            try
            {
                await attempt.ConnectAsync(wsUri, bound.Token);
                socket = attempt;
            }
            catch (WebSocketException) when (tries < 100)
            {
                attempt.Dispose();
                await Task.Delay(100, bound.Token); // 502 until the server listens
            }
        }
        using (socket)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes("hi"), WebSocketMessageType.Text, true, bound.Token);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer, bound.Token);
            Assert.Equal("echo: hi", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
    }

    [Fact]
    public async Task A_sandbox_paused_resumed_and_deleted_through_the_other_broker_stays_with_its_owner()
    {
        await using var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        var sandbox = await a.Over("fleet-pause").CreateSandboxAsync();
        var onB = b.Over("fleet-pause");
        await onB.ShAsync(sandbox.Id, "echo saved > kept.txt");

        using (var paused = await onB.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null))
        {
            Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        }
        Assert.Equal("paused", (await onB.GetFromJsonAsync<JsonElement>($"/v1/sandboxes/{sandbox.Id}")).GetProperty("state").GetString());
        using (var resumed = await onB.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        Assert.NotNull(a.Manager.Find("fleet-pause", sandbox.Id)); // resumed where its workspace was saved
        Assert.Equal("saved", (await onB.ShAsync(sandbox.Id, "cat kept.txt")).Stdout.Trim());
        await onB.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null);
        using (var deleted = await onB.DeleteAsync($"/v1/sandboxes/{sandbox.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var gone = await onB.GetAsync($"/v1/sandboxes/{sandbox.Id}");
        await BrokerCalls.AssertProblemAsync(gone, 404);
        Assert.False(await _redis.Connection.GetDatabase().KeyExistsAsync(FleetKeys.Owner(sandbox.Id)));
    }

    [Fact]
    public async Task The_operators_sandbox_list_pages_through_every_brokers_sandboxes_once()
    {
        await using var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        var made = new List<string>();
        foreach (var broker in new[] { a, b, a, b })
        {
            made.Add((await broker.Over("fleet-admin").CreateSandboxAsync()).Id);
        }
        var operatorOnB = new HttpClient { BaseAddress = b.Address() }.As(TestTenantContexts.Operator);

        var seen = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = await operatorOnB.GetFromJsonAsync<JsonElement>("/admin/v1/sandboxes?tenantId=fleet-admin&limit=3" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page.GetProperty("sandboxes").EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
            if (cursor is null)
            {
                break;
            }
        }

        Assert.Equal(made.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task When_a_broker_dies_mid_traffic_the_other_serves_its_own_answers_410_for_the_lost_bills_them_once_and_frees_the_limit()
    {
        var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        foreach (var broker in new[] { a, b })
        {
            broker.Policies.Set(FakePolicies.Default("fleet-lost") with { MaxConcurrentSandboxes = 2 });
        }
        var onA = a.Over("fleet-lost");
        var onB = b.Over("fleet-lost");
        var lost = await onA.CreateSandboxAsync();
        var kept = await onB.CreateSandboxAsync();
        // Each broker holds one, under a limit of two: a third anywhere is one too many for the fleet.
        using (var third = await onB.PostAsJsonAsync("/v1/sandboxes", new { }))
        {
            await BrokerCalls.AssertProblemAsync(third, 429);
        }

        using var traffic = new CancellationTokenSource();
        var served = Task.Run(async () =>
        {
            var runs = 0;
            while (!traffic.IsCancellationRequested && runs < 200)
            {
                Assert.Equal($"run {runs}", (await onB.ShAsync(kept.Id, $"echo run {runs}")).Stdout.Trim());
                runs++;
            }
            return runs;
        });
        var started = DateTimeOffset.UtcNow;
        await a.SilenceAsync();

        // B notices A's silence and settles A's sandbox: billed (to A's last heartbeat), its run ended.
        await LocalProcess.WaitUntilAsync(async () => (await UsageOfAsync(lost.Id)).Length > 0, TimeSpan.FromSeconds(60), "the lost sandbox to be billed");
        traffic.Cancel();
        Assert.True(await served > 0);

        using (var get = await onB.GetAsync($"/v1/sandboxes/{lost.Id}"))
        {
            await BrokerCalls.AssertProblemAsync(get, 410);
            Assert.Contains(SandboxLost.Slug, await get.Content.ReadAsStringAsync());
        }
        using (var exec = await onB.PostAsJsonAsync($"/v1/sandboxes/{lost.Id}/exec", new { command = new[] { "/bin/true" } }))
        {
            await BrokerCalls.AssertProblemAsync(exec, 410);
        }
        using (var stranger = await b.Over("fleet-lost-stranger").GetAsync($"/v1/sandboxes/{lost.Id}"))
        {
            await BrokerCalls.AssertProblemAsync(stranger, 404); // another tenant does not even learn it existed
        }
        var bill = Assert.Single(await UsageOfAsync(lost.Id));
        Assert.Equal("lost", bill.Status);
        Assert.True(bill.SandboxSeconds <= (DateTimeOffset.UtcNow - lost.CreatedAt).TotalSeconds);
        Assert.True(lost.CreatedAt + TimeSpan.FromSeconds(bill.SandboxSeconds) <= started + TimeSpan.FromSeconds(1), "billed past the last heartbeat");
        Assert.Contains(("fleet-lost", lost.Id), _credentials.RecoveredEnds);
        Assert.Equal("still here", (await onB.ShAsync(kept.Id, "echo still here")).Stdout.Trim());
        var replacement = await onB.CreateSandboxAsync(); // the lost one no longer counts against the limit

        // The dead broker coming back (here: shutting down in order) bills nothing a second time.
        await a.DisposeAsync();
        Assert.Single(await UsageOfAsync(lost.Id));
        using var afterwards = await onB.GetAsync($"/v1/sandboxes/{lost.Id}");
        await BrokerCalls.AssertProblemAsync(afterwards, 410);
        Assert.NotEqual(lost.Id, replacement.Id);
    }

    [Fact]
    public async Task A_restarted_broker_bills_its_crashed_leases_unless_the_fleet_proves_a_sibling_billed_them_as_lost()
    {
        var now = DateTimeOffset.UtcNow;
        var options = Options.Create(new SandboxBrokerOptions { Root = _root });
        var crashed = new LeaseJournal(options);
        var unsettled = new LeaseRecord("sbx_fleetcrash01", "fleet-crash", "key:a", "sbx_fleetcrash01", "bubblewrap", "shared", now.AddMinutes(-2), now.AddHours(1), false,
            HostId: "host-that-crashed");
        var settled = unsettled with { SandboxId = "sbx_fleetcrash02", RunId = "sbx_fleetcrash02" };
        var forgotten = unsettled with { SandboxId = "sbx_fleetcrash03", RunId = "sbx_fleetcrash03" };
        crashed.Record(unsettled);
        crashed.Record(settled);
        crashed.Record(forgotten);
        // The fleet still holds the first lease's record; a survivor already took (and billed) the second's, leaving its
        // proof on the owner record; of the third Redis knows nothing (its data was lost), which proves nothing.
        var db = _redis.Connection.GetDatabase();
        await db.HashSetAsync(FleetKeys.Leases("host-that-crashed"), unsettled.SandboxId, JsonSerializer.Serialize(unsettled, JsonSerializerOptions.Web));
        await db.HashSetAsync(FleetKeys.Owner(settled.SandboxId), [new("tenant", "fleet-crash"), new("host", "host-that-crashed"), new("lost", now.AddMinutes(-1).ToUnixTimeMilliseconds())]);

        await using var restarted = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(restarted.Services.GetRequiredService<LeaseJournal>().Read().Count == 0),
            TimeSpan.FromSeconds(60), "the journal to be settled");

        var bill = Assert.Single(await UsageOfAsync(unsettled.SandboxId));
        Assert.Equal("aborted", bill.Status);
        Assert.Empty(await UsageOfAsync(settled.SandboxId));
        Assert.Equal("aborted", Assert.Single(await UsageOfAsync(forgotten.SandboxId)).Status);
        Assert.False(await _redis.Connection.GetDatabase().HashExistsAsync(FleetKeys.Leases("host-that-crashed"), unsettled.SandboxId));
    }

    [Fact]
    public async Task A_sandbox_whose_owner_is_silent_but_not_yet_declared_dead_answers_503_with_retry_after_and_410_only_once_settled()
    {
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        var db = _redis.Connection.GetDatabase();
        const string id = "sbx_fleetsilent01";
        await db.HashSetAsync(FleetKeys.Owner(id), [new("tenant", "fleet-silent"), new("host", "host-gone-quiet")]);

        using (var uncertain = await b.Over("fleet-silent").GetAsync($"/v1/sandboxes/{id}"))
        {
            await BrokerCalls.AssertProblemAsync(uncertain, 503);
            Assert.NotNull(uncertain.Headers.RetryAfter);
        }

        await db.HashSetAsync(FleetKeys.Owner(id), "lost", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        using var gone = await b.Over("fleet-silent").GetAsync($"/v1/sandboxes/{id}");
        await BrokerCalls.AssertProblemAsync(gone, 410);
    }

    [Fact]
    public async Task A_tenant_at_its_fleet_wide_limit_is_refused_on_another_broker_without_taking_a_warm_slot_there()
    {
        await using var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials, WarmPool.OfOne());
        foreach (var broker in new[] { a, b })
        {
            broker.Policies.Set(FakePolicies.Default("fleet-full") with { MaxConcurrentSandboxes = 1 });
        }
        await a.Over("fleet-full").CreateSandboxAsync();
        var pools = b.Services.GetRequiredService<WarmPools>();
        bool Full() => pools.Counts.Count > 0 && pools.Counts.All(p => p.Value >= pools.Target(p.Key));
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Full()), TimeSpan.FromSeconds(60), "the other broker's warm pools to fill");
        var before = pools.Counts;

        using (var refused = await b.Over("fleet-full").PostAsJsonAsync("/v1/sandboxes", new { }))
        {
            await BrokerCalls.AssertProblemAsync(refused, 429);
        }

        Assert.Equal(before, pools.Counts);
    }

    [Fact]
    public async Task A_call_reaching_a_broker_that_does_not_hold_the_sandbox_while_redis_is_frozen_is_a_503_problem_with_retry_after()
    {
        await using var a = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        await using var b = FleetHosts.Start(_redis.ConnectionString, _root, _credentials);
        var sandbox = await a.Over("fleet-frozen").CreateSandboxAsync();
        var exec = new { command = new[] { "/bin/sh", "-c", "echo through B" } };

        // B cannot tell who owns the sandbox without Redis: a clean refusal to retry, never a 500 or a wrong 404.
        await _redis.PauseAsync();
        HttpResponseMessage refused;
        try
        {
            refused = await b.Over("fleet-frozen").PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", exec);
        }
        finally
        {
            await _redis.ResumeAsync();
        }
        using (refused)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        // Redis back: the same call through B reaches the owner again.
        Assert.Equal("through B", (await b.Over("fleet-frozen").ShAsync(sandbox.Id, "echo through B")).Stdout.Trim());
    }
}
