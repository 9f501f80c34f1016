namespace AgentCloud.SandboxBroker.Processes;

/// <summary><c>command</c> as exec takes it (program first); <c>cwd</c> absolute or relative to /workspace.</summary>
public sealed record StartProcessRequest(IReadOnlyList<string?>? Command, Dictionary<string, string?>? Env, string? Cwd);

/// <summary><c>signal</c>: TERM, KILL, INT or HUP (a SIG prefix is accepted).</summary>
public sealed record SignalProcessRequest(string? Signal);

/// <summary>A background process as the API shows it; <c>exitCode</c> once it has exited.</summary>
public sealed record ProcessView(int Pid, IReadOnlyList<string> Command, DateTimeOffset StartedAt, string State, int? ExitCode, DateTimeOffset? EndedAt)
{
    public static ProcessView Of(BackgroundProcess p) => new(p.Pid, p.Command, p.StartedAt, p.State, p.Result?.ExitCode, p.EndedAt);
}

/// <summary>The log so far without following: each output capped at the exec output limit (<c>truncated</c> when cut).</summary>
public sealed record ProcessLogView(int Pid, string State, int? ExitCode, string Stdout, string Stderr, bool Truncated);
