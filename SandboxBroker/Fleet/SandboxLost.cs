using AgentCloud.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>The answers for a sandbox whose broker died, and for one whose broker cannot be reached just now.</summary>
public static class SandboxLost
{
    public const string Slug = "sandbox-lost";

    public static ProblemHttpResult Gone(string sandboxId, DateTimeOffset lostAt) => Problems.Create(StatusCodes.Status410Gone, Slug, "Sandbox lost",
        $"Sandbox '{sandboxId}' was lost at {lostAt:u}: the broker host running it stopped. Its files and processes are gone, its time was billed up to " +
        "then and its run key revoked; create a new sandbox (POST /v1/sandboxes) and run your work again.");

    public static ProblemHttpResult OwnerUnreachable(string sandboxId, HttpContext http)
    {
        http.Response.Headers.RetryAfter = "2";
        return Problems.Create(StatusCodes.Status503ServiceUnavailable, "sandbox-owner-unreachable", "Sandbox's broker unreachable",
            $"The broker running sandbox '{sandboxId}' did not answer just now; retry shortly. If it has stopped, the sandbox will be reported lost (410).");
    }

    public static ProblemHttpResult FleetStateUnreachable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "5";
        return Problems.Create(StatusCodes.Status503ServiceUnavailable, "sandbox-unavailable", "Sandboxes unavailable",
            "The sandbox fleet's shared state (Redis) cannot be reached, so this broker cannot tell which broker runs the sandbox; retry shortly.");
    }
}
