namespace AgentCloud.SandboxBroker.Sandboxes;

public enum RefusalKind
{
    Invalid,
    NoAcceptableIsolation,
    TooManySandboxes,
    NotAllowed,
    Busy,
    /// <summary>The broker hands out no sandbox at all here (see the capabilities answer).</summary>
    Unavailable,
    /// <summary>Too many execs already run in the sandbox.</summary>
    TooManyExecs,
}

/// <summary>Why the broker will not do what was asked, in words for the caller; the API maps the kind to a status.</summary>
public sealed class SandboxRefusal(RefusalKind kind, string message) : Exception(message)
{
    public RefusalKind Kind { get; } = kind;
}
