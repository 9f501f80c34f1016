namespace AgentCloud.SandboxBroker.Exec;

/// <summary>The answer to an exec, as API.md describes it.</summary>
public sealed record ExecResult(int ExitCode, string Stdout, string Stderr, long DurationMs, bool TimedOut, bool Truncated);
