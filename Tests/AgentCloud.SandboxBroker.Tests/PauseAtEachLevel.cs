using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Pausing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Pause then resume at each level the host offers: the workspace comes back whole (modes, links), processes do not, and the answer says so.</summary>
public abstract class PauseAtEachLevel : LevelTests
{
    internal static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    internal static async Task AssertRefusedAsync(HttpResponseMessage response, int status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        await BrokerCalls.AssertProblemAsync(response, status);
        Assert.EndsWith("/" + type, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Pause_then_resume_brings_back_the_workspace_with_modes_and_links_under_the_same_id_and_says_processes_were_not_kept(string level)
    {
        if (await SandboxAtAsync("pause-level", level) is not var (client, sandbox))
        {
            return;
        }
        var id = sandbox.Id;
        var made = await client.ShAsync(id,
            "mkdir -p proj/private && printf hi > proj/run.sh && chmod 750 proj/run.sh && printf secret > proj/private/key && chmod 600 proj/private/key " +
            "&& chmod 700 proj/private && ln -s run.sh proj/link && ln -s /etc/passwd proj/outside && mkfifo proj/fifo && printf one > proj/a && ln proj/a proj/b && echo made");
        Assert.Equal("made\n", made.Stdout);

        var paused = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/pause", null), HttpStatusCode.OK);
        var whilePaused = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}"), HttpStatusCode.OK);
        using var exec = await client.PostAsJsonAsync($"/v1/sandboxes/{id}/exec", new { command = new[] { "/bin/true" } });
        var execProblem = await exec.Content.ReadAsStringAsync();
        using var file = await client.GetAsync($"/v1/sandboxes/{id}/files/proj/run.sh");
        using var listing = await client.GetAsync($"/v1/sandboxes/{id}/dirs");
        var resumed = await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/resume", null), HttpStatusCode.OK);
        using var again = await client.PostAsync($"/v1/sandboxes/{id}/resume", null);
        var after = await client.ShAsync(id,
            "cd proj && stat -c '%a %n' run.sh private private/key && readlink link outside && cat link && echo && " +
            "(test -e fifo || echo no-fifo) && (test -e a || test -e b || echo no-hard-links)");

        var checkpoints = CheckpointSupport.At(level).Supported;
        Assert.Equal("paused", paused.GetProperty("state").GetString());
        Assert.Equal(checkpoints ? "checkpointed" : "not-checkpointed", paused.GetProperty("processes").GetString());
        Assert.Equal(checkpoints, paused.GetProperty("checkpoint").GetProperty("supported").GetBoolean());
        Assert.Contains(level, paused.GetProperty("checkpoint").GetProperty("reason").GetString());
        Assert.Equal(CheckpointSupport.At(level).Reason, paused.GetProperty("checkpoint").GetProperty("reason").GetString());
        // Only gVisor run by a root broker checkpoints processes (GvisorCheckpointTests); every other level says it keeps files only.
        Assert.Equal(level == IsolationLevels.Gvisor && LaunchPrefix.BrokerIsRoot, checkpoints);
        Assert.Equal(checkpoints ? "restored" : "not-restored", resumed.GetProperty("processes").GetString());
        Assert.Equal("paused", whilePaused.GetProperty("state").GetString());
        Assert.Equal("none", whilePaused.GetProperty("pool").GetString());
        Assert.Equal((HttpStatusCode)409, exec.StatusCode);
        Assert.Contains("sandbox-paused", execProblem);
        Assert.Contains("resume", JsonDocument.Parse(execProblem).RootElement.GetProperty("detail").GetString());
        await AssertRefusedAsync(file, 409, "sandbox-paused");
        await AssertRefusedAsync(listing, 409, "sandbox-paused");
        Assert.Equal(id, resumed.GetProperty("id").GetString());
        Assert.Equal(level, resumed.GetProperty("isolation").GetString());
        Assert.Equal("running", resumed.GetProperty("state").GetString());
        await AssertRefusedAsync(again, 409, "sandbox-not-paused");
        // A checkpointed gVisor sandbox keeps its FIFO: gVisor holds a named pipe in the sandbox's own memory, which the image carries.
        Assert.Equal($"750 run.sh\n700 private\n600 private/key\nrun.sh\n/etc/passwd\nhi\n{(checkpoints ? "" : "no-fifo\n")}no-hard-links\n", after.Stdout);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_background_process_ends_at_pause_and_the_resumed_sandbox_starts_with_none_and_can_start_another(string level)
    {
        // Where processes are checkpointed they come back instead (GvisorCheckpointTests).
        if (CheckpointSupport.At(level).Supported || await SandboxAtAsync("pause-proc", level) is not var (client, sandbox))
        {
            return;
        }
        var id = sandbox.Id;
        var process = await client.StartProcessAsync(id, ["/bin/sh", "-c", "while :; do date +%s%N > beat; sleep 0.05; done"]);
        Assert.Equal("running", process.State);

        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/pause", null), HttpStatusCode.OK);
        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{id}/resume", null), HttpStatusCode.OK);
        var listed = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}/processes"), HttpStatusCode.OK);
        // Nothing writes the heartbeat any more: two reads a while apart see the same one (the file came back with the workspace).
        var still = await client.ShAsync(id, "a=$(cat beat); sleep 0.3; b=$(cat beat); [ \"$a\" = \"$b\" ] && echo still");
        var next = await client.StartProcessAsync(id, ["/bin/sh", "-c", "echo again > again; sleep 30"]);

        Assert.Equal(0, listed.GetArrayLength());
        Assert.Equal("still\n", still.Stdout);
        Assert.Equal("running", next.State);
    }

    private static string OwnerOf(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return owner;
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task The_saved_workspace_is_root_only_in_the_tenants_own_folder_and_gone_after_resume(string level)
    {
        if (await SandboxAtAsync("pause-store", level) is not var (client, sandbox))
        {
            return;
        }
        await client.ShAsync(sandbox.Id, "echo kept > note");
        var store = Broker.Services.GetRequiredService<PausedStore>();

        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/pause", null), HttpStatusCode.OK);
        var archive = store.ArchivePath($"pause-store-{level}", sandbox.Id);
        var record = Path.ChangeExtension(archive, ".json");
        var archiveMode = File.GetUnixFileMode(archive);
        var recordMode = File.GetUnixFileMode(record);
        var folderMode = File.GetUnixFileMode(Path.GetDirectoryName(archive)!);
        var owner = OwnerOf(archive);
        await JsonAsync(await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/resume", null), HttpStatusCode.OK);

        Assert.StartsWith(store.Root + "/", archive);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, archiveMode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, recordMode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, folderMode);
        Assert.Equal("0", owner);
        Assert.False(File.Exists(archive));
        Assert.False(File.Exists(record));
        Assert.Equal("kept\n", (await client.ShAsync(sandbox.Id, "cat note")).Stdout);
    }
}

/// <summary>Pause and resume at the levels this host offers by default.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PauseLevelTests(BrokerFixture fixture) : PauseAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;
}

/// <summary>Pause and resume at the operator-only "none" level.</summary>
[Collection(NoneLevelBrokerCollection.Name)]
public sealed class NoneLevelPauseTests(NoneLevelBrokerFixture fixture) : PauseAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;

    protected override bool Covers(string level) => level == AgentCloud.SandboxBroker.Isolation.IsolationLevels.None;

    protected override HttpClient ClientFor(string tenant) => fixture.ClientFor(tenant);
}
