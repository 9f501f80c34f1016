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
    /// <summary>The sandbox is paused (or being paused or resumed): resume it first.</summary>
    Paused,
    /// <summary>Resume of a sandbox that is not paused.</summary>
    NotPaused,
    /// <summary>The tenant keeps as many paused sandboxes as it may.</summary>
    TooManyPaused,
    /// <summary>The workspace holds more than a pause may save.</summary>
    PauseTooLarge,
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
        RefusalKind.NoAcceptableIsolation or RefusalKind.Paused or RefusalKind.NotPaused => StatusCodes.Status409Conflict,
        RefusalKind.TooManyPaused => StatusCodes.Status429TooManyRequests,
        RefusalKind.PauseTooLarge => StatusCodes.Status413PayloadTooLarge,
        RefusalKind.TooManySandboxes or RefusalKind.TooManyExecs => StatusCodes.Status429TooManyRequests,
        RefusalKind.NotAllowed => StatusCodes.Status403Forbidden,
        RefusalKind.Busy or RefusalKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string SlugOf(RefusalKind kind) => kind switch
    {
        RefusalKind.NoAcceptableIsolation => "sandbox-isolation-unavailable",
        RefusalKind.Paused => "sandbox-paused",
        RefusalKind.NotPaused => "sandbox-not-paused",
        RefusalKind.TooManyPaused => "sandbox-paused-limit",
        RefusalKind.PauseTooLarge => "sandbox-pause-too-large",
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
        RefusalKind.Paused => "Sandbox paused",
        RefusalKind.NotPaused => "Sandbox not paused",
        RefusalKind.TooManyPaused => "Too many paused sandboxes",
        RefusalKind.PauseTooLarge => "Workspace too large to pause",
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
