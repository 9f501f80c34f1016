using System.Formats.Tar;
using System.Net;
using System.Net.Http.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.SandboxBroker.Pausing;
using AgentCloud.SandboxBroker.Usage;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static AgentCloud.SandboxBroker.Tests.PauseAtEachLevel;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Pause and resume as a hostile tenant would try them: on another tenant's sandbox, twice, racing execs, over the
/// limits, with a workspace full of links and special files or a saved archive tampered with; and what a pause costs
/// (no sandbox-seconds), how long it is kept and that it survives a broker restart.
/// </summary>
public sealed class PauseResumeTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private BrokerFactory NewBroker(Dictionary<string, string?>? settings = null, string? root = null) =>
        new(_redis.ConnectionString, settings ?? new Dictionary<string, string?>(), root);

    private async Task<UsageEvent[]> UsageOfAsync(string sandboxId) =>
        (await _redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e?.EventId?.StartsWith(SandboxUsage.EventIdOf(sandboxId), StringComparison.Ordinal) == true).Select(e => e!).ToArray();

    private static async Task PauseAsync(HttpClient client, string id) =>
        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/pause", null), HttpStatusCode.OK);

    [Fact]
    public async Task Another_tenant_cannot_see_pause_resume_or_delete_a_sandbox_running_or_paused()
    {
        await using var broker = NewBroker();
        var owner = broker.ClientFor("pause-owner");
        var intruder = broker.ClientFor("pause-intruder");
        var sandbox = await owner.CreateSandboxAsync();

        using var pauseOther = await intruder.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null);
        await PauseAsync(owner, sandbox.Id);
        using var resumeOther = await intruder.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null);
        using var deleteOther = await intruder.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        using var getOther = await intruder.GetAsync($"/v1/sandboxes/{sandbox.Id}");
        using var execOther = await intruder.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "/bin/true" } });
        var listedForOther = await intruder.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes");
        var listedForOwner = await owner.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes");

        foreach (var response in new[] { pauseOther, resumeOther, deleteOther, getOther, execOther })
        {
            await BrokerCalls.AssertProblemAsync(response, 404);
        }
        Assert.Empty(listedForOther!);
        Assert.Equal(sandbox.Id, Assert.Single(listedForOwner!).Id);
        await JsonAsync(await owner.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Deleting_a_paused_sandbox_removes_its_saved_state_and_it_can_then_be_neither_resumed_nor_found()
    {
        await using var broker = NewBroker();
        var client = broker.ClientFor("pause-delete");
        var sandbox = await client.CreateSandboxAsync();
        await client.ShAsync(sandbox.Id, "echo x > f");
        var store = broker.Services.GetRequiredService<PausedStore>();
        await PauseAsync(client, sandbox.Id);
        var archive = store.ArchivePath("pause-delete", sandbox.Id);
        var savedBefore = File.Exists(archive);

        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        using var resume = await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null);
        using var get = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}");

        Assert.True(savedBefore);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(File.Exists(archive));
        Assert.False(File.Exists(Path.ChangeExtension(archive, ".json")));
        await BrokerCalls.AssertProblemAsync(resume, 404);
        await BrokerCalls.AssertProblemAsync(get, 404);
    }

    [Fact]
    public async Task A_paused_sandbox_costs_no_sandbox_seconds_its_two_leases_are_billed_apart_and_its_slot_is_freed()
    {
        await using var broker = NewBroker();
        var client = broker.ClientFor("pause-usage");
        broker.Policies.Set(FakePolicies.Default("pause-usage") with { MaxConcurrentSandboxes = 1 });
        var sandbox = await client.CreateSandboxAsync();

        await PauseAsync(client, sandbox.Id);
        var pausedAt = DateTimeOffset.UtcNow;
        var billedWhilePaused = await UsageOfAsync(sandbox.Id);
        // The only place of the tenant is free while paused: another sandbox fits, and the resume must wait for it.
        var other = await client.CreateSandboxAsync();
        using var resumeWhileFull = await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null);
        (await client.DeleteAsync($"/v1/sandboxes/{other.Id}")).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(1)); // paused time that must not be billed
        var resumedAt = DateTimeOffset.UtcNow;
        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).EnsureSuccessStatusCode();
        await LocalProcess.WaitUntilAsync(async () => (await UsageOfAsync(sandbox.Id)).Length >= 2, TimeSpan.FromSeconds(30), "the resumed lease's usage");
        var billed = await UsageOfAsync(sandbox.Id);

        var first = Assert.Single(billedWhilePaused);
        Assert.Equal(SandboxUsage.EventIdOf(sandbox.Id), first.EventId);
        Assert.Equal("paused", first.Status);
        await BrokerCalls.AssertProblemAsync(resumeWhileFull, 429);
        Assert.Equal(2, billed.Length);
        var second = Assert.Single(billed, e => e.EventId == SandboxUsage.EventIdOf(sandbox.Id, 1));
        Assert.True(first.StartedAt.AddMilliseconds(first.DurationMs) <= pausedAt, "the first lease is billed past its pause");
        Assert.True(second.StartedAt >= resumedAt.AddMilliseconds(-1), "the second lease is billed from before its resume");
        Assert.Equal("ok", second.Status);
    }

    [Fact]
    public async Task A_pause_racing_execs_ends_them_and_every_exec_is_either_done_or_refused_as_paused()
    {
        await using var broker = NewBroker();
        var client = broker.ClientFor("pause-race");
        var sandbox = await client.CreateSandboxAsync();
        var url = $"/v1/sandboxes/{sandbox.Id}/exec";
        var longExec = client.PostAsJsonAsync(url, new { command = new[] { "/bin/sleep", "120" }, timeoutSeconds = 300 });
        await IsolationTests.WaitUntil(() => broker.Manager.Find("pause-race", sandbox.Id)?.RunningExecs == 1);

        var racing = Enumerable.Range(0, 6).Select(i => client.PostAsJsonAsync(url, new { command = new[] { "/bin/sh", "-c", $"echo {i} > r{i}" } })).ToList();
        using var pause = await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null);
        using var ended = await longExec.WaitAsync(TimeSpan.FromSeconds(60));
        var answers = await Task.WhenAll(racing);
        using var afterPause = await client.PostAsJsonAsync(url, new { command = new[] { "/bin/true" } });

        Assert.True(pause.StatusCode == HttpStatusCode.OK, $"the pause answered {(int)pause.StatusCode}: {await pause.Content.ReadAsStringAsync()}");
        Assert.True(ended.StatusCode is HttpStatusCode.OK, $"the running exec answered {(int)ended.StatusCode}");
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"a racing exec answered {(int)a.StatusCode}"));
        await BrokerCalls.AssertProblemAsync(afterPause, 409);
        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);
        var written = (await client.ShAsync(sandbox.Id, "ls")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // An exec refused as paused never ran: its file is nowhere.
        Assert.All(Enumerable.Range(0, answers.Length).Where(i => answers[i].StatusCode == HttpStatusCode.Conflict), i => Assert.DoesNotContain($"r{i}", written));
    }

    [Fact]
    public async Task Pauses_over_the_tenants_limit_or_the_size_cap_are_refused_and_the_sandbox_keeps_running()
    {
        await using var broker = NewBroker(new Dictionary<string, string?>
        {
            ["SandboxBroker:MaxPausedPerTenant"] = "1",
            ["SandboxBroker:MaxPausedBytes"] = "1048576",
        });
        var client = broker.ClientFor("pause-limits");
        var first = await client.CreateSandboxAsync();
        var second = await client.CreateSandboxAsync();
        var third = await client.CreateSandboxAsync();
        await client.ShAsync(third.Id, "head -c 2000000 /dev/zero > big && truncate -s 100G sparse && echo ok");

        using var tooBig = await client.PostAsync($"/v1/sandboxes/{third.Id}/pause", null);
        var stillRunning = await client.ShAsync(third.Id, "ls");
        await PauseAsync(client, first.Id);
        using var overLimit = await client.PostAsync($"/v1/sandboxes/{second.Id}/pause", null);
        using var pauseAgain = await client.PostAsync($"/v1/sandboxes/{first.Id}/pause", null);

        await AssertRefusedAsync(tooBig, 413, "sandbox-pause-too-large");
        Assert.Equal("big\nsparse\n", stillRunning.Stdout);
        await AssertRefusedAsync(overLimit, 429, "sandbox-paused-limit");
        await AssertRefusedAsync(pauseAgain, 409, "sandbox-paused");
        Assert.Equal(0, (await client.ShAsync(second.Id, "true")).ExitCode);
    }

    [Fact]
    public async Task A_device_file_or_a_hard_link_to_a_host_file_planted_in_the_workspace_is_left_out_of_the_pause()
    {
        await using var broker = NewBroker();
        var client = broker.ClientFor("pause-planted");
        var sandbox = await client.CreateSandboxAsync();
        var workspace = broker.SlotOf("pause-planted", sandbox.Id).Workspace;
        var hostFile = Path.Combine(Path.GetDirectoryName(workspace)!, "host-secret"); // same filesystem as the workspace only where it is not a tmpfs
        await File.WriteAllTextAsync(hostFile, "host-secret");
        using (var mknod = System.Diagnostics.Process.Start("mknod", [Path.Combine(workspace, "null-device"), "c", "1", "3"])!)
        {
            await mknod.WaitForExitAsync();
            Assert.Equal(0, mknod.ExitCode);
        }
        using (var ln = System.Diagnostics.Process.Start("ln", [hostFile, Path.Combine(workspace, "linked-secret")])!)
        {
            await ln.WaitForExitAsync(); // fails across filesystems (a tmpfs workspace): then there is no such link to leak
        }
        await client.ShAsync(sandbox.Id, "echo mine > own");

        var paused = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null), HttpStatusCode.OK);
        var saved = new List<string>();
        await using (var archive = File.OpenRead(broker.Services.GetRequiredService<PausedStore>().ArchivePath("pause-planted", sandbox.Id)))
        await using (var reader = new TarReader(archive))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                saved.Add(entry.Name);
            }
        }
        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);
        var inside = await client.ShAsync(sandbox.Id, "ls -A");

        Assert.Equal("paused", paused.GetProperty("state").GetString());
        Assert.Equal(["own"], saved);
        Assert.Equal("own\n", inside.Stdout);
        File.Delete(hostFile);
    }

    [Fact]
    public async Task A_tampered_saved_archive_never_writes_outside_the_workspace_on_resume()
    {
        await using var broker = NewBroker();
        var client = broker.ClientFor("pause-tamper");
        var sandbox = await client.CreateSandboxAsync();
        var canary = Directory.CreateTempSubdirectory("agentcloud-pause-canary-").FullName;
        var store = broker.Services.GetRequiredService<PausedStore>();
        await PauseAsync(client, sandbox.Id);
        var hostile = new TarBuilder()
            .File("kept.txt", "kept")
            .File("../escaped-up", "x")
            .File(canary + "/absolute", "x")
            .Symlink("out", canary)
            .File("out/through-link", "x")
            .HardLink("linked", "/etc/passwd")
            .Special(TarEntryType.Fifo, "fifo")
            .Special(TarEntryType.CharacterDevice, "null-device")
            .Build();
        await File.WriteAllBytesAsync(store.ArchivePath("pause-tamper", sandbox.Id), await hostile.ReadAsByteArrayAsync());

        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);
        var inside = await client.ShAsync(sandbox.Id, "cat kept.txt; echo; ls -A | sort | tr '\\n' ' '; readlink out");

        Assert.Empty(Directory.EnumerateFileSystemEntries(canary));
        Assert.Equal($"kept\nkept.txt out {canary}\n", inside.Stdout);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(broker.SlotOf("pause-tamper", sandbox.Id).Workspace)!, "escaped-up")));
        Directory.Delete(canary);
    }

    [Fact]
    public async Task A_pause_revokes_the_run_key_before_answering_announcing_nothing_later_and_a_resume_mints_a_new_one_for_the_same_run()
    {
        var credentials = new RunKeyTests.RecordingRunCredentials();
        await using var broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?> { ["SandboxBroker:IssueRunKeys"] = "true" })
        {
            TestServices = services =>
            {
                services.RemoveAll<AgentCloud.SandboxBroker.Credentials.IRunCredentials>();
                services.AddSingleton<AgentCloud.SandboxBroker.Credentials.IRunCredentials>(credentials);
            },
        };
        var client = broker.ClientFor("pause-keys");
        var sandbox = await client.CreateSandboxAsync();
        var first = Assert.Single(credentials.Minted).Key;

        using var paused = await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null);
        var revokedAtPause = credentials.Revoked.ToArray();
        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);
        var printed = await client.ShAsync(sandbox.Id, "echo \"$AGENTCLOUD_KEY $AGENTCLOUD_RUN_ID\"");

        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.Equal([sandbox.Id], revokedAtPause);
        Assert.Equal(first.Id, Assert.Single(paused.Headers.GetValues(AgentCloud.Platform.Contracts.PlatformHeaders.RevokedKeys)));
        Assert.Empty(credentials.Ended);
        var second = credentials.Minted.Last();
        Assert.NotEqual(first.Key, second.Key.Key);
        Assert.Equal(sandbox.Id, second.RunId);
        Assert.Equal($"{second.Key.Key} {sandbox.Id}", printed.Stdout.Trim());
    }

    [Fact]
    public async Task Two_resumes_at_once_bring_the_sandbox_back_once_and_the_other_is_409()
    {
        await using var broker = NewBroker();
        var client = broker.ClientFor("pause-twice");
        var sandbox = await client.CreateSandboxAsync();
        await client.ShAsync(sandbox.Id, "echo once > note");
        await PauseAsync(client, sandbox.Id);

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null)));
        var leases = broker.Manager.List("pause-twice");

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.OK))
        {
            await BrokerCalls.AssertProblemAsync(refused, 409);
        }
        Assert.Equal(sandbox.Id, Assert.Single(leases).Id);
        Assert.Equal("once\n", (await client.ShAsync(sandbox.Id, "cat note")).Stdout);
    }

    [Fact]
    public async Task An_offboarded_tenants_paused_sandboxes_are_deleted_with_it()
    {
        await using var broker = NewBroker();
        var client = broker.ClientFor("pause-offboard");
        var sandbox = await client.CreateSandboxAsync();
        var store = broker.Services.GetRequiredService<PausedStore>();
        await PauseAsync(client, sandbox.Id);
        var archive = store.ArchivePath("pause-offboard", sandbox.Id);

        await broker.Manager.OffboardAsync("pause-offboard");

        Assert.Null(store.Find("pause-offboard", sandbox.Id));
        Assert.False(File.Exists(archive));
        Assert.False(Directory.Exists(store.TenantFolder("pause-offboard")));
    }

    [Fact]
    public async Task A_paused_sandbox_survives_a_broker_restart_and_resumes_there()
    {
        // Outside the broker's root, which each test broker removes when disposed.
        var pausedRoot = BrokerFactory.NewRoot() + "-paused";
        var settings = new Dictionary<string, string?> { ["SandboxBroker:PausedRoot"] = pausedRoot };
        string id;
        await using (var first = NewBroker(settings))
        {
            var client = first.ClientFor("pause-restart");
            id = (await client.CreateSandboxAsync()).Id;
            await client.ShAsync(id, "echo before-restart > note");
            await PauseAsync(client, id);
        }
        await using var second = NewBroker(settings);
        var again = second.ClientFor("pause-restart");

        var listed = await JsonAsync(await again.GetAsync($"/v1/sandboxes/{id}"), HttpStatusCode.OK);
        await JsonAsync(await again.PostAsync($"/v1/sandboxes/{id}/resume", null), HttpStatusCode.OK);

        Assert.Equal("paused", listed.GetProperty("state").GetString());
        Assert.Equal("before-restart\n", (await again.ShAsync(id, "cat note")).Stdout);
        Directory.Delete(pausedRoot, recursive: true);
    }

    [Fact]
    public async Task A_paused_sandbox_kept_past_its_paused_time_is_deleted_by_the_janitor()
    {
        await using var broker = NewBroker(new Dictionary<string, string?>
        {
            ["SandboxBroker:MaxPausedTime"] = "00:00:01",
            ["SandboxBroker:SweepInterval"] = "00:00:00.200",
        });
        var client = broker.ClientFor("pause-expiry");
        var sandbox = await client.CreateSandboxAsync();
        var store = broker.Services.GetRequiredService<PausedStore>();
        await PauseAsync(client, sandbox.Id);
        var archive = store.ArchivePath("pause-expiry", sandbox.Id);

        await LocalProcess.WaitUntilAsync(() => Task.FromResult(store.Find("pause-expiry", sandbox.Id) is null), TimeSpan.FromSeconds(30), "the paused sandbox to expire");
        using var get = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}");

        await BrokerCalls.AssertProblemAsync(get, 404);
        Assert.False(File.Exists(archive));
    }
}
