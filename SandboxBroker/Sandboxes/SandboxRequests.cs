namespace AgentCloud.SandboxBroker.Sandboxes;

public sealed record CreateSandboxRequest(string? Template, int? TimeoutSeconds, string? Isolation);

public sealed record ExecRequest(IReadOnlyList<string?>? Command, string? Stdin, Dictionary<string, string?>? Env, int? TimeoutSeconds);
