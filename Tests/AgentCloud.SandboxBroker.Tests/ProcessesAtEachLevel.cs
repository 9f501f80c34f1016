using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Processes;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Background processes per isolation level: they outlive the call, share the sandbox with later execs, and end with it.</summary>
public abstract class ProcessesAtEachLevel : LevelTests
{
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>An exec that retries (inside the sandbox, bounded) until the script succeeds: the process may still be starting.</summary>
    private static string Eventually(string script) => $"i=0; while [ $i -lt 200 ]; do if {script}; then exit 0; fi; i=$((i+1)); sleep 0.05; done; exit 1";

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_process_keeps_running_between_execs_and_a_later_exec_sees_its_work(string level)
    {
        if (await SandboxAtAsync("proc-survive", level) is not var (client, sandbox))
        {
            return;
        }
        var process = await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > ticks.new; mv ticks.new ticks; sleep 0.05; done"]);
        Assert.Equal("running", process.State);

        var first = await client.ShAsync(sandbox.Id, Eventually("[ -s ticks ] && [ \"$(cat ticks)\" -gt 2 ]"));
        Assert.Equal(0, first.ExitCode);
        var seen = int.Parse((await client.ShAsync(sandbox.Id, "cat ticks")).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var later = await client.ShAsync(sandbox.Id, Eventually($"[ \"$(cat ticks)\" -gt {seen} ]"));

        Assert.Equal(0, later.ExitCode);
        Assert.Equal("running", (await client.GetProcessAsync(sandbox.Id, process.Pid)).State);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_server_started_as_a_process_answers_a_later_exec_on_loopback(string level)
    {
        if (await SandboxAtAsync("proc-server", level) is not var (client, sandbox))
        {
            return;
        }
        var probe = await client.ShAsync(sandbox.Id, "command -v python3");
        if (probe.ExitCode != 0)
        {
            // No python3 in this host's /usr: the tick test above covers survival; nothing here can serve HTTP.
            Assert.False(File.Exists("/usr/bin/python3"), "python3 is on the host but not found in the sandbox");
            return;
        }
        await client.ShAsync(sandbox.Id, "mkdir -p site && echo hello from the process > site/index.html");
        await client.StartProcessAsync(sandbox.Id, ["python3", "-m", "http.server", "8765", "--bind", "127.0.0.1"], cwd: "site");

        var fetch = await client.ShAsync(sandbox.Id, Eventually(
            "python3 -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen(\"http://127.0.0.1:8765/index.html\", timeout=2).read().decode())' 2>/dev/null"));

        Assert.Equal(0, fetch.ExitCode);
        Assert.Equal("hello from the process\n", fetch.Stdout);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Logs_follow_in_order_then_exit_and_the_buffered_log_and_list_agree(string level)
    {
        if (await SandboxAtAsync("proc-logs", level) is not var (client, sandbox))
        {
            return;
        }
        using var bound = new CancellationTokenSource(Bound);
        var process = await client.StartProcessAsync(sandbox.Id,
            ["/bin/sh", "-c", "echo one; echo two >&2; while [ ! -e go ]; do sleep 0.05; done; echo three; exit 3"]);

        using var stream = await client.FollowLogsAsync(sandbox.Id, process.Pid, bound.Token);
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        var early = await stream.UntilAsync(seen =>
            string.Concat(seen.Where(e => e.Name == "stdout").Select(e => e.Text)).Contains("one\n")
            && string.Concat(seen.Where(e => e.Name == "stderr").Select(e => e.Text)).Contains("two\n"), bound.Token);
        Assert.DoesNotContain(early, e => e.Name == "exit");
        await client.ShAsync(sandbox.Id, "touch go");
        var rest = await stream.UntilAsync(seen => seen.Any(e => e.Name == "exit"), bound.Token);

        Assert.Equal("three\n", string.Concat(rest.Where(e => e.Name == "stdout").Select(e => e.Text)));
        Assert.Equal(3, rest[^1].Data.GetProperty("exitCode").GetInt32());
        Assert.Null(await stream.NextAsync(bound.Token));
        var log = await client.LogsAsync(sandbox.Id, process.Pid);
        Assert.Equal(("one\nthree\n", "two\n", "exited", 3), (log.Stdout, log.Stderr, log.State, log.ExitCode));
        var listed = Assert.Single(await client.GetFromJsonAsync<ProcessDto[]>($"/v1/sandboxes/{sandbox.Id}/processes", JsonSerializerOptions.Web) ?? []);
        Assert.Equal((process.Pid, "exited", (int?)3), (listed.Pid, listed.State, listed.ExitCode));

        // Following an ended process replays its log and its exit.
        using var replay = await client.FollowLogsAsync(sandbox.Id, process.Pid, bound.Token);
        var replayed = await replay.UntilAsync(seen => seen.Any(e => e.Name == "exit"), bound.Token);
        Assert.Equal("one\nthree\n", string.Concat(replayed.Where(e => e.Name == "stdout").Select(e => e.Text)));
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_signal_ends_the_process_and_a_second_one_is_refused_as_exited(string level)
    {
        if (await SandboxAtAsync("proc-signal", level) is not var (client, sandbox))
        {
            return;
        }
        using var bound = new CancellationTokenSource(Bound);
        var term = await client.StartProcessAsync(sandbox.Id, ["sleep", "600"]);
        var kill = await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "trap '' TERM INT HUP; while :; do sleep 0.1; done"]);

        using var termed = await client.SignalAsync(sandbox.Id, term.Pid, "TERM");
        using var killed = await client.SignalAsync(sandbox.Id, kill.Pid, "SIGKILL");
        Assert.Equal(HttpStatusCode.OK, termed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, killed.StatusCode);

        Assert.NotEqual(0, (await client.ExitedAsync(sandbox.Id, term.Pid, bound.Token)).ExitCode);
        Assert.NotEqual(0, (await client.ExitedAsync(sandbox.Id, kill.Pid, bound.Token)).ExitCode);
        using var again = await client.SignalAsync(sandbox.Id, term.Pid, "KILL");
        await BrokerCalls.AssertProblemAsync(again, 409);
        using var unknown = await client.SignalAsync(sandbox.Id, kill.Pid, "STOP");
        await BrokerCalls.AssertProblemAsync(unknown, 400);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Term_reaches_the_command_itself_which_may_handle_it_and_exit_cleanly(string level)
    {
        if (await SandboxAtAsync("proc-term", level) is not var (client, sandbox))
        {
            return;
        }
        using var bound = new CancellationTokenSource(Bound);
        var process = await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done"]);
        while (!(await client.LogsAsync(sandbox.Id, process.Pid)).Stdout.Contains("ready"))
        {
            await Task.Delay(50, bound.Token);
        }

        using var termed = await client.SignalAsync(sandbox.Id, process.Pid, "TERM");
        var exited = await client.ExitedAsync(sandbox.Id, process.Pid, bound.Token);

        Assert.Equal(HttpStatusCode.OK, termed.StatusCode);
        Assert.Contains("got-term", (await client.LogsAsync(sandbox.Id, process.Pid)).Stdout);
        // What the command said, at every level: nothing between the broker and it may die of the TERM instead (at
        // bubblewrap and namespace the join helper, in the same host process group, ignores it and reports the command's status).
        Assert.Equal(0, exited.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_killed_process_takes_everything_it_started_with_it_even_what_left_its_session(string level)
    {
        if (await SandboxAtAsync("proc-kill-tree", level) is not var (client, sandbox))
        {
            return;
        }
        using var bound = new CancellationTokenSource(Bound);
        var slot = Broker.SlotOf($"proc-kill-tree-{level}", sandbox.Id);
        await client.ShAsync(sandbox.Id, "printf '#!/bin/sh\\nwhile :; do sleep 0.2; done\\n' > keep-going && chmod +x keep-going");
        var process = await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "(setsid ./keep-going &); ./keep-going & while :; do sleep 0.1; done"]);
        int Running() => SandboxProcesses.TenantCommands(Broker, slot).Count(c => c == "keep-going");
        while (Running() < 2)
        {
            await Task.Delay(50, bound.Token);
        }

        using var killed = await client.SignalAsync(sandbox.Id, process.Pid, "KILL");
        Assert.Equal(HttpStatusCode.OK, killed.StatusCode);
        await client.ExitedAsync(sandbox.Id, process.Pid, bound.Token);
        // SIGKILLed processes may take a moment to be gone; one that survived would stay.
        var settle = Environment.TickCount64 + 10_000;
        while (Running() > 0 && Environment.TickCount64 < settle)
        {
            await Task.Delay(50, bound.Token);
        }

        Assert.Equal(0, Running());
        Assert.Equal(0, (await client.ShAsync(sandbox.Id, "echo still-usable >/dev/null")).ExitCode);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Inside_the_shared_boundary_code_holds_no_capability_not_even_in_its_bounding_set_and_makes_no_user_namespace(string level)
    {
        if (level == IsolationLevels.None || await SandboxAtAsync("proc-caps", level) is not var (client, sandbox))
        {
            return;
        }
        var process = await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; unshare -U true && echo made-a-user-namespace; echo checked; exec sleep 600"]);
        using var bound = new CancellationTokenSource(Bound);
        ProcessLogDto log;
        while (!(log = await client.LogsAsync(sandbox.Id, process.Pid)).Stdout.Contains("checked"))
        {
            await Task.Delay(50, bound.Token);
        }
        // An exec now joins the same boundary (where the level keeps one): the same must hold there.
        var exec = await client.ShAsync(sandbox.Id, "grep -E '^(CapEff|CapBnd)' /proc/self/status; unshare -U true && echo made-a-user-namespace; true");

        Assert.Contains("CapEff:\t0000000000000000", log.Stdout);
        Assert.Contains("CapEff:\t0000000000000000", exec.Stdout);
        if (SandboxLaunches.KeepsBoundary(level))
        {
            // Joining a user namespace refills the bounding set; the join helper empties it before the uid switch.
            // (gVisor's per-exec user namespace refills it inside the sentry, whose capabilities are its own.)
            Assert.Contains("CapBnd:\t0000000000000000", log.Stdout);
            Assert.Contains("CapBnd:\t0000000000000000", exec.Stdout);
        }
        Assert.DoesNotContain("made-a-user-namespace", log.Stdout);
        Assert.DoesNotContain("made-a-user-namespace", exec.Stdout);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_join_whose_start_fails_leaves_no_namespace_descriptor_held_once_the_sandbox_ends(string level)
    {
        if (!SandboxLaunches.KeepsBoundary(level) || await SandboxAtAsync("proc-join-fail", level) is not var (client, sandbox))
        {
            return;
        }
        await client.StartProcessAsync(sandbox.Id, ["sleep", "600"]);
        var live = Broker.Manager.Find($"proc-join-fail-{level}", sandbox.Id)!;
        var boundary = live.Processes.Boundary!;
        var own = NamespacesOnlyOf(boundary.TargetPid);
        Assert.NotEmpty(DescriptorsOf(own));

        // The join is taken, then the exec's stream fails before it runs (its client went away).
        await Assert.ThrowsAsync<IOException>(() => Broker.Manager.ExecAsync(
            live, new AgentCloud.SandboxBroker.Sandboxes.ExecRequest(["true"], null, null, null), new GoneBeforeStart(), CancellationToken.None));
        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(DescriptorsOf(own));
    }

    /// <summary>The namespaces of that process the broker is not in itself, as their links read (<c>mnt:[4026…]</c>).</summary>
    private static HashSet<string> NamespacesOnlyOf(int pid)
    {
        static string Link(string path) => new FileInfo(path).LinkTarget ?? "";
        return Directory.GetFiles($"/proc/{pid}/ns").Select(Link).Except(Directory.GetFiles("/proc/self/ns").Select(Link)).ToHashSet();
    }

    /// <summary>The broker's open descriptors naming one of those namespaces.</summary>
    private static List<string> DescriptorsOf(HashSet<string> namespaces) =>
        Directory.GetFiles("/proc/self/fd").Where(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget is { } target && namespaces.Contains(target);
            }
            catch (IOException)
            {
                return false; // closed meanwhile
            }
        }).ToList();

    /// <summary>A streamed exec's receiver whose client is gone before the command starts.</summary>
    private sealed class GoneBeforeStart : AgentCloud.SandboxBroker.Exec.IExecOutput
    {
        public Task StartedAsync() => throw new IOException("the client went away");

        public ValueTask WriteAsync(AgentCloud.SandboxBroker.Exec.ExecOutputStream stream, ReadOnlyMemory<byte> bytes) => ValueTask.CompletedTask;
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Processes_end_with_the_sandbox_and_nothing_of_its_uid_is_left(string level)
    {
        if (await SandboxAtAsync("proc-delete", level) is not var (client, sandbox))
        {
            return;
        }
        using var bound = new CancellationTokenSource(Bound);
        var slot = Broker.SlotOf($"proc-delete-{level}", sandbox.Id);
        await client.StartProcessAsync(sandbox.Id, ["sleep", "600"]);
        await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "(setsid sleep 601 &); while :; do sleep 0.1; done"]);
        while (SandboxProcesses.TenantCommands(Broker, slot).Count(c => c == "sleep") < 2)
        {
            await Task.Delay(50, bound.Token);
        }

        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        if (level == IsolationLevels.Gvisor)
        {
            // The slot's container is rebooted fresh for the pool (or gone): no tenant command runs in it.
            Assert.DoesNotContain("sleep", SandboxProcesses.TenantCommands(Broker, slot));
        }
        else
        {
            // SIGKILLed processes may still be releasing their memory (no command line any more) for a moment.
            var left = AgentCloud.SandboxBroker.Sandboxes.SlotProcesses.Find(slot.Uid);
            while (left.Count > 0 && left.All(pid => !File.Exists($"/proc/{pid}/cmdline") || File.ReadAllText($"/proc/{pid}/cmdline").Length == 0))
            {
                await Task.Delay(20, bound.Token);
                left = AgentCloud.SandboxBroker.Sandboxes.SlotProcesses.Find(slot.Uid);
            }
            Assert.True(left.Count == 0, "left running: " + string.Join("; ", left.Select(pid => $"{pid} {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}")));
        }
        using var after = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/processes");
        await BrokerCalls.AssertProblemAsync(after, 404);
    }
}
