using AgentCloud.Platform;

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

/// <summary>
/// Why the broker will not do what was asked, in words for the caller: a platform <see cref="Refusal"/>, so it is
/// answered as problem+json the one way every service answers; the kind picks the status, type and Retry-After.
/// </summary>
public sealed class SandboxRefusal(RefusalKind kind, string message)
    : Refusal(StatusOf(kind), SlugOf(kind), TitleOf(kind), message, RetryAfterOf(kind))
{
    public RefusalKind Kind { get; } = kind;

    private static int StatusOf(RefusalKind kind) => kind switch
    {
        RefusalKind.NoAcceptableIsolation => StatusCodes.Status409Conflict,
        RefusalKind.TooManySandboxes or RefusalKind.TooManyExecs => StatusCodes.Status429TooManyRequests,
        RefusalKind.NotAllowed => StatusCodes.Status403Forbidden,
        RefusalKind.Busy or RefusalKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string SlugOf(RefusalKind kind) => kind switch
    {
        RefusalKind.NoAcceptableIsolation => "sandbox-isolation-unavailable",
        RefusalKind.TooManySandboxes => "sandbox-concurrency-limit",
        RefusalKind.TooManyExecs => "sandbox-exec-limit",
        RefusalKind.NotAllowed => "forbidden",
        RefusalKind.Busy => "sandbox-capacity",
        RefusalKind.Unavailable => "sandbox-unavailable",
        _ => "bad-request",
    };

    private static string TitleOf(RefusalKind kind) => kind switch
    {
        RefusalKind.NoAcceptableIsolation => "No acceptable isolation level",
        RefusalKind.TooManySandboxes => "Too many sandboxes",
        RefusalKind.TooManyExecs => "Too many execs",
        RefusalKind.NotAllowed => "Forbidden",
        RefusalKind.Busy => "No capacity",
        RefusalKind.Unavailable => "Sandboxes unavailable",
        _ => "Bad request",
    };

    private static TimeSpan? RetryAfterOf(RefusalKind kind) => kind switch
    {
        RefusalKind.TooManySandboxes or RefusalKind.Busy => TimeSpan.FromSeconds(5),
        RefusalKind.Unavailable => TimeSpan.FromSeconds(60),
        RefusalKind.TooManyExecs => TimeSpan.FromSeconds(1),
        _ => null,
    };
}
