using System.Net;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Pausing;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static AgentCloud.SandboxBroker.Tests.PauseAtEachLevel;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Pause and resume at gVisor with the processes checkpointed: a server and a counter keep running across it (their
/// memory, their port, their logs, their signals), the image is the tenant's paused state (counted, deleted with it),
/// and a damaged image resumes the files only, saying so. Slow (each is a runsc checkpoint and restore), so few.
/// </summary>
public sealed class GvisorCheckpointTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private BrokerFactory NewBroker(Dictionary<string, string?>? settings = null) => new(_redis.ConnectionString, settings ?? new Dictionary<string, string?>());

    /// <summary>
    /// Whether this host checkpoints at gVisor; where runsc is installed and the broker is root it must (the probe's reason
    /// is then a failure to explain, not a reason to skip).
    /// </summary>
    private static bool Checkpoints(BrokerFactory broker)
    {
        var gvisor = broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == IsolationLevels.Gvisor);
        var hostHasRunsc = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "runsc")));
        if (hostHasRunsc && LaunchPrefix.BrokerIsRoot)
        {
            Assert.True(gvisor.Available, $"runsc is installed and the broker is root, yet gvisor is unavailable: {gvisor.Reason}");
        }
        Assert.Equal(gvisor.Available && LaunchPrefix.BrokerIsRoot, CheckpointSupport.At(IsolationLevels.Gvisor).Supported);
        return gvisor.Available && LaunchPrefix.BrokerIsRoot;
    }

    private static async Task<HttpResponseMessage> GetPortAsync(HttpClient client, string url)
    {
        HttpResponseMessage response;
        var tries = 0;
        // A server still starting (or just restored) answers 502 until it listens again (bounded).
        while ((response = await client.GetAsync(url)).StatusCode == HttpStatusCode.BadGateway && ++tries < 100)
        {
            response.Dispose();
            await Task.Delay(100);
        }
        return response;
    }

    private static int[] Numbers(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    [Fact]
    public async Task A_server_and_a_counter_keep_running_across_pause_and_resume_with_their_port_logs_memory_and_signals()
    {
        var credentials = new RunKeyTests.RecordingRunCredentials();
        await using var broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?> { ["SandboxBroker:IssueRunKeys"] = "true" })
        {
            TestServices = services =>
            {
                services.RemoveAll<IRunCredentials>();
                services.AddSingleton<IRunCredentials>(credentials);
            },
        };
        if (!Checkpoints(broker))
        {
            return;
        }
        var client = broker.ClientFor("ckpt-owner");
        var intruder = broker.ClientFor("ckpt-intruder");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Gvisor });
        var id = sandbox.Id;
        Assert.Equal(0, (await client.ShAsync(id, "mkdir -p site && printf 'hello through the port' > site/index.html && echo kept > /tmp/note")).ExitCode);
        var server = await client.StartProcessAsync(id, ["python3", "-m", "http.server", "8090", "--bind", "127.0.0.1"], cwd: "site");
        // Its count lives only in the shell's memory: a restart would begin again at 1.
        var counter = await client.StartProcessAsync(id, ["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"]);
        using (var before = await GetPortAsync(client, $"/v1/sandboxes/{id}/ports/8090/index.html"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        var countedBefore = Numbers((await client.LogsAsync(id, counter.Pid)).Stdout);
        var layout = broker.Services.GetRequiredService<SlotLayout>();
        var store = broker.Services.GetRequiredService<PausedStore>();

        var paused = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/pause", null), HttpStatusCode.OK);
        var image = store.CheckpointPath("ckpt-owner", id);
        var imageBytes = new DirectoryInfo(image).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        var imageMode = File.GetUnixFileMode(image);
        var uidHeld = store.Find("ckpt-owner", id)!.Checkpoint!.Uid;
        var heldWhilePaused = layout.IsHeldForPause(uidHeld);
        using var intruderResume = await intruder.PostAsync($"/v1/sandboxes/{id}/resume", null);
        using var intruderPause = await intruder.PostAsync($"/v1/sandboxes/{id}/pause", null);
        var resumed = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/resume", null), HttpStatusCode.OK);
        Assert.True(resumed.GetProperty("processes").GetString() == "restored", resumed.ToString());

        using var after = await GetPortAsync(client, $"/v1/sandboxes/{id}/ports/8090/index.html");
        var listed = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}/processes"), HttpStatusCode.OK);
        await Task.Delay(300);
        var countedAfter = Numbers((await client.LogsAsync(id, counter.Pid)).Stdout);
        var countedLater = await WaitForAsync(async () => Numbers((await client.LogsAsync(id, counter.Pid)).Stdout), n => n.Length > countedAfter.Length);
        var serverLog = (await client.LogsAsync(id, server.Pid)).Stderr;
        // A hostile tenant writes an exit status for its running processes: they stay listed, running, their files kept.
        Assert.Equal(0, (await client.ShAsync(id, "for f in /run/agentcloud-output/*.status; do echo 0 > \"$f\"; done")).ExitCode);
        await Task.Delay(TimeSpan.FromSeconds(2)); // several of the watchers' rounds
        var listedAfterForgery = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}/processes"), HttpStatusCode.OK);
        var countedAfterForgery = await WaitForAsync(async () => Numbers((await client.LogsAsync(id, counter.Pid)).Stdout), n => n.Length > countedLater.Length + 5);
        var note = await client.ShAsync(id, "cat /tmp/note");
        var keyAfter = (await client.ShAsync(id, "echo \"$AGENTCLOUD_KEY\"")).Stdout.Trim();
        using var term = await client.SignalAsync(id, counter.Pid, "TERM");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ended = await client.ExitedAsync(id, counter.Pid, deadline.Token);

        Assert.Equal("checkpointed", paused.GetProperty("processes").GetString());
        Assert.True(paused.GetProperty("checkpoint").GetProperty("supported").GetBoolean());
        Assert.True(imageBytes > 0);
        Assert.True(paused.GetProperty("savedBytes").GetInt64() >= imageBytes, "the image counts toward what the pause keeps");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, imageMode);
        Assert.True(heldWhilePaused, "the paused uid is held while the checkpoint waits");
        await BrokerCalls.AssertProblemAsync(intruderResume, 404);
        await BrokerCalls.AssertProblemAsync(intruderPause, 404);
        Assert.Equal("restored", resumed.GetProperty("processes").GetString());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("hello through the port", await after.Content.ReadAsStringAsync());
        Assert.Equal([server.Pid, counter.Pid], listed.EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).Order().ToArray());
        Assert.All(listed.EnumerateArray(), p => Assert.Equal("running", p.GetProperty("state").GetString()));
        // One unbroken count from 1: the memory came back, and the log kept growing after the resume.
        Assert.Equal(Enumerable.Range(1, countedLater.Length), countedLater);
        Assert.True(countedAfter.Length >= countedBefore.Length);
        Assert.True(countedLater.Length > countedAfter.Length);
        // The server logs each request to its stderr file: the one before the pause and the one after.
        Assert.Equal(2, serverLog.Split('\n').Count(l => l.Contains("GET /index.html", StringComparison.Ordinal)));
        Assert.Equal("kept\n", note.Stdout);
        // The restored processes' key was revoked at the pause; the answer says so, and new execs get the run's new key.
        Assert.Contains(id, credentials.Revoked);
        Assert.Equal(2, credentials.Minted.Count);
        Assert.Equal(credentials.Minted.Last().Key.Key, keyAfter);
        Assert.Contains(SandboxPauser.RestoredKeyNote, resumed.GetProperty("checkpoint").GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.OK, term.StatusCode);
        Assert.All(listedAfterForgery.EnumerateArray(), p => Assert.Equal("running", p.GetProperty("state").GetString()));
        Assert.True(countedAfterForgery.Length > countedLater.Length + 5, "the counter's log keeps growing after its status was forged");
        Assert.Equal(143, ended.ExitCode);
        Assert.False(Directory.Exists(image), "a resumed sandbox keeps no image");
        Assert.False(layout.IsHeldForPause(uidHeld));

        // Paused again, then deleted: the image goes with it, and the uid is free again.
        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/pause", null), HttpStatusCode.OK);
        var again = Directory.Exists(image);
        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{id}");
        Assert.True(again);
        Assert.True(deleted.IsSuccessStatusCode);
        Assert.False(Directory.Exists(image));
        Assert.False(layout.IsHeldForPause(uidHeld));
    }

    [Fact]
    public async Task A_checkpointed_sandbox_survives_a_broker_restart_with_its_uid_held_and_its_processes_restored()
    {
        // Outside the broker's root, which each test broker removes when disposed.
        var pausedRoot = BrokerFactory.NewRoot() + "-paused";
        var settings = new Dictionary<string, string?> { ["SandboxBroker:PausedRoot"] = pausedRoot };
        string id;
        int pid;
        int uid;
        await using (var first = NewBroker(settings))
        {
            if (!Checkpoints(first))
            {
                return;
            }
            var client = first.ClientFor("ckpt-restart");
            id = (await client.CreateSandboxAsync(new { isolation = IsolationLevels.Gvisor })).Id;
            pid = (await client.StartProcessAsync(id, ["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"])).Pid;
            await WaitForAsync(async () => (await client.LogsAsync(id, pid)).Stdout, o => o.Length > 0);
            var paused = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/pause", null), HttpStatusCode.OK);
            Assert.Equal("checkpointed", paused.GetProperty("processes").GetString());
            uid = first.Services.GetRequiredService<PausedStore>().Find("ckpt-restart", id)!.Checkpoint!.Uid;
        }
        await using var second = NewBroker(settings);
        var again = second.ClientFor("ckpt-restart");
        var heldAfterRestart = second.Services.GetRequiredService<SlotLayout>().IsHeldForPause(uid);

        var resumed = await JsonAsync(await again.PostAsync($"/v1/sandboxes/{id}/resume", null), HttpStatusCode.OK);
        var counted = await WaitForAsync(async () => Numbers((await again.LogsAsync(id, pid)).Stdout), n => n.Length > 5);
        var later = await WaitForAsync(async () => Numbers((await again.LogsAsync(id, pid)).Stdout), n => n.Length > counted.Length);

        Assert.True(heldAfterRestart, "the restarted broker holds the paused sandbox's uid");
        Assert.Equal("restored", resumed.GetProperty("processes").GetString());
        Assert.Equal(Enumerable.Range(1, later.Length), later);
        Assert.True(later.Length > counted.Length);
        Directory.Delete(pausedRoot, recursive: true);
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var value = await read();
        for (var i = 0; i < 100 && !done(value); i++)
        {
            await Task.Delay(100);
            value = await read();
        }
        return value;
    }

    [Fact]
    public async Task A_damaged_image_resumes_with_the_files_only_and_says_why()
    {
        await using var broker = NewBroker();
        if (!Checkpoints(broker))
        {
            return;
        }
        var client = broker.ClientFor("ckpt-corrupt");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Gvisor });
        await client.ShAsync(sandbox.Id, "echo kept > note");
        await client.StartProcessAsync(sandbox.Id, ["/bin/sleep", "600"]);
        var paused = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null), HttpStatusCode.OK);
        var image = Path.Combine(broker.Services.GetRequiredService<PausedStore>().CheckpointPath("ckpt-corrupt", sandbox.Id), "image");
        Assert.True(Directory.Exists(image), paused.ToString());
        foreach (var file in Directory.EnumerateFiles(image, "*", SearchOption.AllDirectories))
        {
            File.WriteAllBytes(file, new byte[4096]); // as a disk fault or a tampered copy would leave it
        }

        var resumed = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);
        var listed = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/processes"), HttpStatusCode.OK);
        var note = await client.ShAsync(sandbox.Id, "cat note");

        Assert.Equal("not-restored", resumed.GetProperty("processes").GetString());
        Assert.False(resumed.GetProperty("checkpoint").GetProperty("supported").GetBoolean());
        Assert.Contains("could not be restored", resumed.GetProperty("checkpoint").GetProperty("reason").GetString());
        Assert.Equal(0, listed.GetArrayLength());
        Assert.Equal("kept\n", note.Stdout);
    }

    [Fact]
    public async Task A_checkpoint_over_MaxPausedBytes_is_not_kept_and_the_pause_says_why_and_output_files_cannot_fill_the_host_disk()
    {
        // Room for the workspace, not for a runsc image (megabytes); output files of 4 x 3 x 1 KiB plus a MiB of slack.
        await using var broker = NewBroker(new Dictionary<string, string?>
        {
            ["SandboxBroker:MaxPausedBytes"] = "20000", ["SandboxBroker:MaxOutputBytes"] = "1024", ["SandboxBroker:MaxBackgroundProcesses"] = "4",
        });
        if (!Checkpoints(broker))
        {
            return;
        }
        var client = broker.ClientFor("ckpt-cap");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Gvisor });
        var gvisor = (GvisorBackend)broker.Services.GetRequiredService<IsolationCatalog>().Backend(IsolationLevels.Gvisor);
        var outputFolder = new DriveInfo(gvisor.OutputFolder(broker.SlotOf("ckpt-cap", sandbox.Id)));
        var budget = 4L * 3 * 1024 + 1024 * 1024;
        // A tenant writing 8 MB of output gets ENOSPC from its folder's own tmpfs, not the host disk's room.
        var filler = await client.StartProcessAsync(sandbox.Id, ["/usr/bin/head", "-c", "8000000", "/dev/zero"]);
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            var filled = await client.ExitedAsync(sandbox.Id, filler.Pid, deadline.Token);
            Assert.NotEqual(0, filled.ExitCode);
        }
        Assert.Equal("tmpfs", outputFolder.DriveFormat);
        Assert.InRange(outputFolder.TotalSize, budget, budget + 4096);
        await client.ShAsync(sandbox.Id, "echo kept > note");
        await client.StartProcessAsync(sandbox.Id, ["/bin/sleep", "600"]);

        var paused = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null), HttpStatusCode.OK);
        var kept = Directory.Exists(broker.Services.GetRequiredService<PausedStore>().CheckpointPath("ckpt-cap", sandbox.Id));
        var resumed = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);

        Assert.Equal("not-checkpointed", paused.GetProperty("processes").GetString());
        var reason = paused.GetProperty("checkpoint").GetProperty("reason").GetString()!;
        Assert.True(reason.Contains("exceed the 20000 bytes", StringComparison.Ordinal), reason);
        Assert.True(paused.GetProperty("savedBytes").GetInt64() <= 20000);
        Assert.False(kept);
        Assert.Equal("not-restored", resumed.GetProperty("processes").GetString());
        Assert.Equal("kept\n", (await client.ShAsync(sandbox.Id, "cat note")).Stdout);

        // /tmp alone over the cap: refused before runsc writes any image.
        var second = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Gvisor });
        Assert.Equal(0, (await client.ShAsync(second.Id, "head -c 30000 /dev/urandom > /tmp/big")).ExitCode);
        await client.StartProcessAsync(second.Id, ["/bin/sleep", "600"]);
        var pausedSecond = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{second.Id}/pause", null), HttpStatusCode.OK);
        Assert.Equal("not-checkpointed", pausedSecond.GetProperty("processes").GetString());
        Assert.Contains("output files and /tmp exceed the 20000 bytes", pausedSecond.GetProperty("checkpoint").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_pause_past_the_brokers_checkpointed_pauses_keeps_the_files_only_and_holds_no_uid()
    {
        // Each checkpoint holds its uid while paused; the cap keeps paused sandboxes from taking every uid.
        await using var broker = NewBroker(new Dictionary<string, string?> { ["SandboxBroker:MaxCheckpointedPauses"] = "0" });
        if (!Checkpoints(broker))
        {
            return;
        }
        var client = broker.ClientFor("ckpt-uidcap");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Gvisor });
        await client.StartProcessAsync(sandbox.Id, ["/bin/sleep", "600"]);

        var paused = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null), HttpStatusCode.OK);

        Assert.Equal("not-checkpointed", paused.GetProperty("processes").GetString());
        Assert.Contains("checkpointed paused sandboxes, the most it may", paused.GetProperty("checkpoint").GetProperty("reason").GetString());
        Assert.Equal(0, broker.Services.GetRequiredService<SlotLayout>().HeldForPauseCount);
    }
}
