using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Kubernetes;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>
/// The same /v1/sandboxes routes for sandboxes on the kubernetes level, as one filter on the group: a create that
/// <see cref="ClusterPlacement"/> sends to the cluster, and every route naming one of the caller's cluster sandboxes,
/// are answered here; all else (another tenant's id too) goes on to the host's handlers. Inside the idempotency filter,
/// so keyed creates and execs are kept the same way.
/// </summary>
public static class ClusterSandboxRouting
{
    private const string Prefix = "/v1/sandboxes";

    public static RouteGroupBuilder MapClusterSandboxes(this RouteGroupBuilder api)
    {
        api.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.Features.Get<TenantContext>() is not { } caller
                || (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is not { } pattern)
            {
                return await next(context);
            }
            var route = pattern.StartsWith(Prefix, StringComparison.Ordinal) ? pattern[Prefix.Length..].TrimEnd('/') : pattern;
            if (route.Length == 0)
            {
                return HttpMethods.IsPost(http.Request.Method) ? await CreateAsync(context, next, caller) : await ListAsync(context, next, caller);
            }
            if (http.Request.RouteValues.TryGetValue("id", out var raw) && raw is string id
                && http.RequestServices.GetRequiredService<ClusterLeases>().Find(caller.TenantId, id) is { } lease)
            {
                return await OnLeaseAsync(context, route, lease);
            }
            return await next(context);
        });
        return api;
    }

    public static SandboxesApi.SandboxView ViewOf(ClusterLease l) => new(l.Id, KubernetesLevel.Name, l.Dedicated ? "dedicated" : "shared",
        SandboxTemplate.DefaultName, false, l.CreatedAt, l.ExpiresAt, l.RunId, l.RunKey is { } k ? new SandboxesApi.RunKeyView(k.Id, k.Capabilities, k.ExpiresAt) : null);

    private static async ValueTask<object?> CreateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, TenantContext caller)
    {
        var http = context.HttpContext;
        var request = context.Arguments.OfType<CreateSandboxRequest>().FirstOrDefault() ?? new CreateSandboxRequest(null, null, null);
        var placement = http.RequestServices.GetRequiredService<ClusterPlacement>();
        if (!placement.MayApply(request))
        {
            // The host's handler reads the tenant's policy itself; reading it here too would double every create's read.
            return await next(context);
        }
        var policy = await http.RequestServices.GetRequiredService<ITenantPolicySource>().GetAsync(caller, http.RequestAborted);
        try
        {
            if (policy is null || !placement.Selects(policy, request))
            {
                return await next(context);
            }
            var lease = await http.RequestServices.GetRequiredService<ClusterLeasing>().CreateAsync(caller, policy, request, http.RequestAborted);
            return TypedResults.Created($"{Prefix}/{lease.Id}", ViewOf(lease));
        }
        catch (Refusal refusal)
        {
            return SandboxesApi.Refused(refusal, http);
        }
    }

    private static async ValueTask<object?> ListAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, TenantContext caller)
    {
        var result = await next(context);
        var cluster = context.HttpContext.RequestServices.GetRequiredService<ClusterLeases>().List(caller.TenantId).Select(ViewOf);
        return result is Ok<SandboxesApi.SandboxView[]> host ? TypedResults.Ok(host.Value!.Concat(cluster).ToArray()) : result;
    }

    private static async Task<object?> OnLeaseAsync(EndpointFilterInvocationContext context, string route, ClusterLease lease)
    {
        var http = context.HttpContext;
        var method = http.Request.Method;
        var leasing = http.RequestServices.GetRequiredService<ClusterLeasing>();
        try
        {
            return (route, method) switch
            {
                ("/{id}", "GET") => TypedResults.Ok(ViewOf(lease)),
                ("/{id}", "DELETE") => await DeleteAsync(http, leasing, lease),
                ("/{id}/exec", "POST") => await ExecAsync(http, leasing, lease, context.Arguments.OfType<ExecRequest>().Single()),
                ("/{id}/files/{**path}", "PUT") => await PutFileAsync(http, leasing, lease),
                ("/{id}/files/{**path}", "GET") => TypedResults.File(
                    await leasing.ReadFileAsync(lease, SandboxesApi.Decode((string)http.Request.RouteValues["path"]!), http.RequestAborted), "application/octet-stream"),
                _ => Problems.Create(StatusCodes.Status501NotImplemented, "sandbox-level-unsupported", "Not offered at this level",
                    $"Sandbox '{lease.Id}' runs on the kubernetes level, which does not offer {method} {route} ({KubernetesLevel.NotOffered} run only on the host's levels). " +
                    "Create the sandbox with a ladder isolation level for these."),
            };
        }
        catch (Refusal refusal)
        {
            return SandboxesApi.Refused(refusal, http);
        }
        catch (Exception e) when (FileProblem(e, http) is { } problem)
        {
            return problem;
        }
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, ClusterLeasing leasing, ClusterLease lease)
    {
        var runKeyId = lease.RunKey?.Id;
        if (!await leasing.DeleteAsync(lease))
        {
            return SandboxesApi.NotFound(lease.Id);
        }
        if (runKeyId is not null)
        {
            http.Response.Headers[PlatformHeaders.RevokedKeys] = runKeyId;
        }
        return TypedResults.NoContent();
    }

    /// <summary>The request as the route bound it (the body is read once, before any filter).</summary>
    private static async Task<IResult> ExecAsync(HttpContext http, ClusterLeasing leasing, ClusterLease lease, ExecRequest request)
    {
        if (request.Stream != true)
        {
            return TypedResults.Ok(await leasing.ExecAsync(lease, request, null, http.RequestAborted));
        }
        // Refusals come before the first event, as problem+json; after it the answer is the event stream.
        var events = new ExecEventStream(http.Response, http.RequestServices.GetRequiredService<IOptions<SandboxBrokerOptions>>().Value.StreamKeepAlive);
        ExecResult result;
        try
        {
            result = await leasing.ExecAsync(lease, request, events, http.RequestAborted);
        }
        catch (SandboxRefusal refusal) when (events.Started)
        {
            // The pod went away mid-stream: the answer is already the event stream, so it ends with the reason on stderr.
            await events.WriteAsync(ExecOutputStream.Stderr, System.Text.Encoding.UTF8.GetBytes(refusal.Message));
            result = new ExecResult(-1, "", refusal.Message, 0, false, false);
        }
        await events.FinishAsync(result);
        return new StreamedExecResult(result);
    }

    private static async Task<IResult> PutFileAsync(HttpContext http, ClusterLeasing leasing, ClusterLease lease)
    {
        var limit = http.RequestServices.GetRequiredService<IOptions<SandboxBrokerOptions>>().Value.MaxUploadBytes;
        var content = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (content.Length + read > limit)
            {
                return SandboxesApi.TooLarge($"The upload is more than {limit} bytes, the limit.");
            }
            content.Write(chunk, 0, read);
        }
        await leasing.WriteFileAsync(lease, SandboxesApi.Decode((string)http.Request.RouteValues["path"]!), content.ToArray(), http.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>A file operation's failure as the caller can act on it: the path's fault (4xx), a full disk (507), or the pod's (503, retry).</summary>
    private static ProblemHttpResult? FileProblem(Exception e, HttpContext http) => e switch
    {
        PodFileException { NotFound: true } => Problems.NotFound($"No such file in the sandbox's workspace: {e.Message}"),
        PodFileException { NoSpace: true } => Problems.Create(StatusCodes.Status507InsufficientStorage, "sandbox-disk-full", "Workspace full",
            $"The sandbox's disk is full: {e.Message}. Delete files in the sandbox or write less."),
        PodFileException { TimedOut: true } => SandboxesApi.Refused(new SandboxRefusal(RefusalKind.Busy, $"The sandbox's pod did not finish the file operation in time: {e.Message}. Retry shortly."), http),
        PodFileException => Problems.Create(StatusCodes.Status400BadRequest, "sandbox-path-refused", "Path refused", e.Message),
        not PodFileTooLargeException when ClusterFaults.IsClusterFault(e, http.RequestAborted) =>
            SandboxesApi.Refused(new SandboxRefusal(RefusalKind.Busy, $"The sandbox's pod could not be reached: {e.Message} Retry shortly."), http),
        PodFileTooLargeException => SandboxesApi.TooLarge(e.Message),
        _ => SandboxesApi.FileProblem(e),
    };
}
