namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary><c>capabilities</c>: what the run's key may do (default: the caller's inference and memory capabilities).</summary>
public sealed record CreateSandboxRequest(string? Template, int? TimeoutSeconds, string? Isolation, IReadOnlyList<string?>? Capabilities = null);

/// <summary><c>stream</c>: answer server-sent events as the output arrives instead of one JSON answer at the end.</summary>
public sealed record ExecRequest(IReadOnlyList<string?>? Command, string? Stdin, Dictionary<string, string?>? Env, int? TimeoutSeconds, bool? Stream = null);
