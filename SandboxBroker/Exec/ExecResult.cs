namespace AgentCloud.SandboxBroker.Exec;

/// <summary>The answer to an exec, as docs/api.md describes it.</summary>
public sealed record ExecResult(int ExitCode, string Stdout, string Stderr, long DurationMs, bool TimedOut, bool Truncated);
