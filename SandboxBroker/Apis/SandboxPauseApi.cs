using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Pausing;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>Marks a sandbox route that answers for a paused sandbox too (get, delete, pause, resume); every other one is 409 <c>sandbox-paused</c>.</summary>
public sealed class AllowedWhilePaused
{
    public static readonly AllowedWhilePaused Instance = new();
}

/// <summary>
/// Pause and resume (see <see cref="SandboxPauser"/>), and the guard that keeps exec and file operations off a paused
/// sandbox (or one being paused or resumed) with 409 <c>sandbox-paused</c> and a detail that says to resume it.
/// </summary>
public static class SandboxPauseApi
{
    public const string NotCheckpointed = "not-checkpointed";

    public static TBuilder AllowWhilePaused<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AllowedWhilePaused.Instance);

    /// <summary>On the sandboxes group: its capability check applies, and the guard covers every route of the group.</summary>
    public static RouteGroupBuilder MapSandboxPause(this RouteGroupBuilder api)
    {
        api.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.GetEndpoint()?.Metadata.GetMetadata<AllowedWhilePaused>() is null
                && http.Request.RouteValues.TryGetValue("id", out var raw) && raw is string id
                && http.Features.Get<TenantContext>() is { } caller
                && (http.RequestServices.GetRequiredService<PausedStore>().Find(caller.TenantId, id) is not null
                    || http.RequestServices.GetRequiredService<SandboxManager>().Find(caller.TenantId, id) is { Held: true }))
            {
                return new SandboxRefusal(RefusalKind.Paused,
                    $"Sandbox '{id}' is paused (or being paused or resumed); resume it with POST /v1/sandboxes/{id}/resume, then retry.").ToResult();
            }
            return await next(context);
        });
        api.MapPost("/{id}/pause", Pause).AllowWhilePaused();
        api.MapPost("/{id}/resume", Resume).AllowWhilePaused();
        return api;
    }

    /// <summary><c>processes</c> says whether running processes were kept; <c>checkpoint</c> says why not at this level.</summary>
    public sealed record PauseView(
        string Id, string State, string Isolation, string Template, DateTimeOffset PausedAt, DateTimeOffset PausedUntil, long SavedBytes,
        string Processes, CheckpointView Checkpoint);

    public sealed record CheckpointView(bool Supported, string Reason);

    /// <summary>The resumed sandbox, with <c>processes</c> "restored" (a checkpoint came back) or "not-restored", and <c>checkpoint</c> saying why not.</summary>
    public sealed record ResumeView(
        string Id, string Isolation, string Pool, string Template, bool Warm, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string? RunId,
        SandboxesApi.RunKeyView? RunKey, string State, string Processes, CheckpointView Checkpoint)
    {
        public static ResumeView Of(ResumeOutcome outcome)
        {
            var s = SandboxesApi.SandboxView.Of(outcome.Sandbox);
            return new(s.Id, s.Isolation, s.Pool, s.Template, s.Warm, s.CreatedAt, s.ExpiresAt, s.RunId, s.RunKey, s.State,
                outcome.Restored ? "restored" : NotRestored, new CheckpointView(outcome.Restored, outcome.Checkpoint.Reason));
        }
    }

    public const string NotRestored = "not-restored";

    public static async Task<Results<Ok<PauseView>, ProblemHttpResult>> Pause(
        TenantContext ctx, string id, SandboxPauser pauser, HttpContext http, CancellationToken cancellationToken)
    {
        try
        {
            if (await pauser.PauseAsync(ctx, id, cancellationToken) is not { } outcome)
            {
                return SandboxesApi.NotFound(id);
            }
            var p = outcome.Paused;
            if (outcome.RevokedKeyId is not null)
            {
                // As for a delete: the Gateway this answer passes through drops the key from its cache at once.
                http.Response.Headers[PlatformHeaders.RevokedKeys] = outcome.RevokedKeyId;
            }
            return TypedResults.Ok(new PauseView(p.Id, SandboxesApi.SandboxView.PausedState, p.Isolation, p.Template, p.PausedAt, p.PausedUntil, p.SavedBytes,
                outcome.Checkpoint.Supported ? "checkpointed" : NotCheckpointed, new CheckpointView(outcome.Checkpoint.Supported, outcome.Checkpoint.Reason)));
        }
        catch (Refusal refusal)
        {
            return SandboxesApi.Refused(refusal, http);
        }
    }

    public static async Task<Results<Ok<ResumeView>, ProblemHttpResult>> Resume(
        TenantContext ctx, string id, ITenantPolicySource policies, SandboxPauser pauser, HttpContext http, CancellationToken cancellationToken)
    {
        var policy = await policies.GetAsync(ctx, cancellationToken);
        if (policy is null)
        {
            return Problems.Forbidden("The calling tenant no longer exists.");
        }
        try
        {
            return await pauser.ResumeAsync(ctx, policy, id, cancellationToken) is { } resumed
                ? TypedResults.Ok(ResumeView.Of(resumed))
                : SandboxesApi.NotFound(id);
        }
        catch (Refusal refusal)
        {
            return SandboxesApi.Refused(refusal, http);
        }
    }
}
