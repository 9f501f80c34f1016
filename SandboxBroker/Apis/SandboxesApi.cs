using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Files;
using AgentCloud.SandboxBroker.Fleet;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Pausing;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;


namespace AgentCloud.SandboxBroker.Apis;

/// <summary>The tenant's sandboxes (docs/api.md): create, list, get, delete, exec and files; always the caller's own only.</summary>
public static class SandboxesApi
{
    public const string SandboxCapability = "sandbox";

    public static RouteGroupBuilder MapSandboxesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/sandboxes");
        // Running code is a capability of its own: a key (or run key) without it cannot touch sandboxes at all.
        api.AddEndpointFilter(async (context, next) =>
            context.HttpContext.Features.Get<TenantContext>() is { } caller && caller.Has(SandboxCapability)
                ? await next(context)
                : Problems.Forbidden($"This key lacks the '{SandboxCapability}' capability."));
        api.AddEndpointFilterFactory(IdempotencyFilter.OnPosts); // create and exec honour Idempotency-Key
        api.MapFleetListing(); // the list spans every live broker replica: Fleet/FleetListing.cs
        api.MapClusterSandboxes(); // the kubernetes level's sandboxes on these same routes: Apis/ClusterSandboxRouting.cs
        api.MapGet("/capabilities", GetCapabilities);
        api.MapSandboxTemplates(); // GET /templates: Apis/SandboxTemplatesApi.cs
        api.MapPost("/", CreateSandbox);
        api.MapGet("/", ListSandboxes);
        api.MapGet("/{id}", GetSandbox).AllowWhilePaused();
        api.MapDelete("/{id}", DeleteSandbox).AllowWhilePaused();
        api.MapPost("/{id}/exec", Exec);
        api.MapPut("/{id}/files/{**path}", PutFile);
        api.MapGet("/{id}/files/{**path}", GetFile);
        api.MapSandboxFileOperations(); // list, stat, mkdir, delete, tar up and down: Apis/SandboxFilesApi.cs
        api.MapSandboxPause(); // pause, resume, and 409 for a paused sandbox's other routes: Apis/SandboxPauseApi.cs
        api.MapSandboxProcesses(); // background processes: Apis/SandboxProcessesApi.cs
        api.MapSandboxPorts(); // HTTP to a server inside: Apis/SandboxPortsApi.cs
        return api;
    }

    /// <summary>
    /// <c>runKey</c> names the run's key (id, capabilities, expiry), never the key itself: that exists only inside the sandbox.
    /// <c>state</c> is <c>running</c> or <c>paused</c>; a paused one holds no slot (pool <c>none</c>) and is kept until <c>pausedUntil</c>.
    /// </summary>
    public sealed record SandboxView(
        string Id, string Isolation, string Pool, string Template, bool Warm, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string? RunId, RunKeyView? RunKey,
        string State = SandboxView.RunningState, DateTimeOffset? PausedAt = null, DateTimeOffset? PausedUntil = null)
    {
        public const string RunningState = "running";
        public const string PausedState = "paused";

        public static SandboxView Of(Sandbox s) => new(s.Id, s.Isolation, s.Pool, s.Template, s.Warm, s.CreatedAt, s.ExpiresAt, s.RunId,
            s.RunKey is { } k ? new RunKeyView(k.Id, k.Capabilities, k.ExpiresAt) : null);

        public static SandboxView Of(PausedSandbox p) => new(p.Id, p.Isolation, "none", p.Template, false, p.CreatedAt, p.PausedUntil, p.RunId, null,
            PausedState, p.PausedAt, p.PausedUntil);
    }

    public sealed record RunKeyView(string Id, IReadOnlyList<string> Capabilities, DateTimeOffset ExpiresAt);

    public sealed record LevelView(string Level, bool Available, string Reason);

    public sealed record CgroupView(bool Available, string Reason);

    /// <summary><c>Sandbox</c> says whether this broker hands out sandboxes at all, and why not; <c>Clusters</c> are levels run by a cluster (kubernetes).</summary>
    public sealed record CapabilitiesView(CgroupView Sandbox, IReadOnlyList<LevelView> Levels, string Limits, CgroupView Cgroups, IReadOnlyList<string> Templates, string Egress,
        IReadOnlyList<LevelView> Clusters);

    public static Ok<CapabilitiesView> GetCapabilities(IsolationCatalog catalog, CgroupLimiter cgroups, IOptions<SandboxBrokerOptions> options) =>
        TypedResults.Ok(new CapabilitiesView(
            new CgroupView(catalog.HostRefusal is null, catalog.HostRefusal ?? "sandboxes run under uids of their own"),
            catalog.Levels.Select(l => new LevelView(l.Level, l.Available, l.Reason)).ToList(),
            cgroups.Describe(),
            new CgroupView(cgroups.Enabled, cgroups.Support.Reason),
            options.Value.EffectiveTemplates().Keys.Order().ToList(),
            "default deny; the tenant's allowlisted domains through the broker's HTTP/CONNECT proxy at http://127.0.0.1:3128 inside gvisor and bubblewrap sandboxes",
            catalog.Clusters.Select(l => new LevelView(l.Level, l.Available, l.Reason)).ToList()));

    public static async Task<Results<Created<SandboxView>, ProblemHttpResult>> CreateSandbox(
        TenantContext ctx, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] CreateSandboxRequest? request,
        ITenantPolicySource policies, SandboxManager manager, HttpContext http, CancellationToken cancellationToken)
    {
        var policy = await policies.GetAsync(ctx, cancellationToken);
        if (policy is null)
        {
            return Problems.Forbidden("The calling tenant no longer exists.");
        }
        try
        {
            var sandbox = await manager.CreateAsync(ctx, policy, request ?? new CreateSandboxRequest(null, null, null), cancellationToken);
            return TypedResults.Created($"/v1/sandboxes/{sandbox.Id}", SandboxView.Of(sandbox));
        }
        catch (Refusal refusal)
        {
            return Refused(refusal, http);
        }
    }

    public static Ok<SandboxView[]> ListSandboxes(TenantContext ctx, SandboxManager manager, PausedStore paused) =>
        TypedResults.Ok(manager.List(ctx.TenantId).Select(SandboxView.Of).Concat(paused.List(ctx.TenantId).Select(SandboxView.Of)).ToArray());

    public static Results<Ok<SandboxView>, ProblemHttpResult> GetSandbox(TenantContext ctx, string id, SandboxManager manager, PausedStore paused) =>
        manager.Find(ctx.TenantId, id) is { } sandbox ? TypedResults.Ok(SandboxView.Of(sandbox))
        : paused.Find(ctx.TenantId, id) is { } p ? TypedResults.Ok(SandboxView.Of(p)) : NotFound(id);

    /// <summary>Ends a running sandbox, or drops a paused one's saved state.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSandbox(
        TenantContext ctx, string id, SandboxManager manager, SandboxPauser pauser, FleetLeases fleet, HttpContext http)
    {
        var runKeyId = manager.Find(ctx.TenantId, id)?.RunKey?.Id;
        if (!await manager.DeleteAsync(ctx.TenantId, id))
        {
            try
            {
                if (!pauser.DeletePaused(ctx.TenantId, id))
                {
                    return NotFound(id);
                }
                await fleet.ForgetOwnerAsync(id); // a paused sandbox kept its owner record, for its resume to be forwarded here
                return TypedResults.NoContent();
            }
            catch (SandboxRefusal refusal)
            {
                return Refused(refusal, http);
            }
        }
        if (runKeyId is not null)
        {
            // The Gateway this answer passes through drops the key from its cache at once (it never reaches the client).
            http.Response.Headers[PlatformHeaders.RevokedKeys] = runKeyId;
        }
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<ExecResult>, StreamedExecResult, ProblemHttpResult>> Exec(
        TenantContext ctx, string id, ExecRequest request, SandboxManager manager, HttpContext http, IOptions<SandboxBrokerOptions> options,
        CancellationToken cancellationToken)
    {
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            return NotFound(id);
        }
        try
        {
            if (request.Stream == true)
            {
                // Refusals come before the first event, as problem+json; after it the answer is the event stream.
                var events = new ExecEventStream(http.Response, options.Value.StreamKeepAlive);
                var result = await manager.ExecAsync(sandbox, request, events, cancellationToken);
                await events.FinishAsync(result);
                return new StreamedExecResult(result);
            }
            return TypedResults.Ok(await manager.ExecAsync(sandbox, request, cancellationToken));
        }
        catch (SandboxRefusal refusal)
        {
            return Refused(refusal, http);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> PutFile(
        TenantContext ctx, string id, string path, SandboxManager manager, HttpContext http, IOptions<SandboxBrokerOptions> options, CancellationToken cancellationToken)
    {
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            return NotFound(id);
        }
        var limit = options.Value.MaxUploadBytes;
        if (http.Request.ContentLength > limit)
        {
            return TooLarge($"The upload is {http.Request.ContentLength} bytes; the limit is {limit}.");
        }
        try
        {
            await WorkspaceFiles.WriteAsync(sandbox.Slot.Workspace, Decode(path), http.Request.Body, limit, sandbox.Slot.Uid, cancellationToken);
            sandbox.LastUsedAt = DateTimeOffset.UtcNow;
            return TypedResults.NoContent();
        }
        catch (Exception e) when (FileProblem(e) is { } problem)
        {
            return problem;
        }
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetFile(
        TenantContext ctx, string id, string path, SandboxManager manager, IOptions<SandboxBrokerOptions> options, CancellationToken cancellationToken)
    {
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            return NotFound(id);
        }
        try
        {
            var bytes = await WorkspaceFiles.ReadAsync(sandbox.Slot.Workspace, Decode(path), options.Value.MaxDownloadBytes, sandbox.Slot.Uid, cancellationToken);
            sandbox.LastUsedAt = DateTimeOffset.UtcNow;
            return TypedResults.File(bytes, "application/octet-stream");
        }
        catch (Exception e) when (FileProblem(e) is { } problem)
        {
            return problem;
        }
    }

    /// <summary>Routing leaves %2F encoded in a catch-all; decode so an encoded '../' is seen (and refused) as one.</summary>
    internal static string Decode(string path) => path.Contains('%') ? Uri.UnescapeDataString(path) : path;

    internal static ProblemHttpResult? FileProblem(Exception e) => e switch
    {
        WorkspacePathException => Problems.Create(StatusCodes.Status400BadRequest, "sandbox-path-refused", "Path refused", e.Message),
        WorkspaceFileNotFoundException => Problems.NotFound(e.Message),
        WorkspaceFileTooLargeException => TooLarge(e.Message),
        WorkspaceFullException => Problems.Create(StatusCodes.Status507InsufficientStorage, "sandbox-disk-full", "Workspace full", e.Message),
        _ => null,
    };

    internal static ProblemHttpResult TooLarge(string detail) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "body-too-large", "Too large", detail);

    internal static ProblemHttpResult NotFound(string id) => Problems.NotFound($"No sandbox '{id}' belongs to the calling tenant.");

    /// <summary>A refusal answered as it says (status, type, Retry-After), as the shared refusal handler would.</summary>
    internal static ProblemHttpResult Refused(Refusal refusal, HttpContext http)
    {
        if (refusal.RetryAfterHeader is { } wait)
        {
            http.Response.Headers.RetryAfter = wait;
        }
        return refusal.ToResult();
    }
}
