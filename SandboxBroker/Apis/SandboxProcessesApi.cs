using System.Globalization;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Processes;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>
/// Background processes of a sandbox (docs/api.md): start, list, logs (buffered or followed as server-sent events) and
/// signal. A process is found only through its own sandbox, which is found only for its own tenant: anyone else's is 404.
/// </summary>
public static class SandboxProcessesApi
{
    /// <summary>On the sandboxes group, so its capability check applies.</summary>
    public static RouteGroupBuilder MapSandboxProcesses(this RouteGroupBuilder api)
    {
        api.MapPost("/{id}/processes", StartProcess);
        api.MapGet("/{id}/processes", ListProcesses);
        api.MapGet("/{id}/processes/{pid}", GetProcess);
        api.MapGet("/{id}/processes/{pid}/logs", GetLogs);
        api.MapPost("/{id}/processes/{pid}/signal", SignalProcessAsync);
        return api;
    }

    public static async Task<Results<Created<ProcessView>, ProblemHttpResult>> StartProcess(
        TenantContext ctx, string id, StartProcessRequest request, SandboxManager manager, ProcessRunner runner, HttpContext http)
    {
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            return SandboxesApi.NotFound(id);
        }
        try
        {
            var process = await runner.StartAsync(sandbox, request);
            return TypedResults.Created($"/v1/sandboxes/{id}/processes/{process.Pid}", ProcessView.Of(process));
        }
        catch (SandboxRefusal refusal)
        {
            return SandboxesApi.Refused(refusal, http);
        }
    }

    public static Results<Ok<ProcessView[]>, ProblemHttpResult> ListProcesses(TenantContext ctx, string id, SandboxManager manager) =>
        manager.Find(ctx.TenantId, id) is { } sandbox
            ? TypedResults.Ok(sandbox.Processes.List().Select(ProcessView.Of).ToArray())
            : SandboxesApi.NotFound(id);

    public static Results<Ok<ProcessView>, ProblemHttpResult> GetProcess(TenantContext ctx, string id, string pid, SandboxManager manager) =>
        Find(ctx, id, pid, manager, out var problem) is { } process ? TypedResults.Ok(ProcessView.Of(process)) : problem!;

    /// <summary>
    /// Without <c>follow</c>: the log so far as JSON. With it: server-sent events as a streamed exec sends them
    /// (<c>stdout</c>/<c>stderr</c> from the first byte kept, then live), and <c>exit</c> when the process ends.
    /// </summary>
    public static async Task<Results<Ok<ProcessLogView>, EmptyHttpResult, ProblemHttpResult>> GetLogs(
        TenantContext ctx, string id, string pid, bool? follow, SandboxManager manager, HttpContext http, IOptions<SandboxBrokerOptions> options)
    {
        if (Find(ctx, id, pid, manager, out var problem) is not { } process)
        {
            return problem!;
        }
        if (follow != true)
        {
            var (stdout, stderr) = process.Log.Text();
            var truncated = process.Result?.Truncated ?? process.Log.Truncated;
            return TypedResults.Ok(new ProcessLogView(process.Pid, process.State, process.Result?.ExitCode, stdout, stderr, truncated));
        }
        var events = new ExecEventStream(http.Response, options.Value.StreamKeepAlive);
        await events.StartedAsync();
        var (soFar, next) = process.Log.Follow();
        try
        {
            foreach (var chunk in soFar)
            {
                await events.WriteAsync(chunk.Stream, chunk.Bytes);
            }
            await foreach (var chunk in next.ReadAllAsync(http.RequestAborted))
            {
                await events.WriteAsync(chunk.Stream, chunk.Bytes);
            }
            await process.Ended.WaitAsync(http.RequestAborted);
            await events.FinishAsync(process.Result!);
        }
        catch (OperationCanceledException)
        {
            // The follower left; the process runs on.
        }
        finally
        {
            process.Log.Unfollow(next);
        }
        return TypedResults.Empty;
    }

    public static async Task<Results<Ok<ProcessView>, ProblemHttpResult>> SignalProcessAsync(
        TenantContext ctx, string id, string pid, SignalProcessRequest request, SandboxManager manager)
    {
        if (Find(ctx, id, pid, manager, out var problem) is not { } process)
        {
            return problem!;
        }
        if (ProcessSignals.Parse(request.Signal) is not { } signal)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "bad-request", "Bad request",
                $"signal must be one of {string.Join(", ", ProcessSignals.ByName.Keys)}, not '{request.Signal}'.");
        }
        if (!await process.SignalAsync(signal))
        {
            return Problems.Create(StatusCodes.Status409Conflict, "process-exited", "Process exited",
                $"Process {process.Pid} has already exited (code {process.Result?.ExitCode}); there is nothing to signal.");
        }
        return TypedResults.Ok(ProcessView.Of(process));
    }

    /// <summary>The process of the caller's own sandbox, or a 404 that says the same for a missing sandbox, a missing process and someone else's.</summary>
    private static BackgroundProcess? Find(TenantContext ctx, string id, string pid, SandboxManager manager, out ProblemHttpResult? problem)
    {
        problem = null;
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            problem = SandboxesApi.NotFound(id);
            return null;
        }
        if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && sandbox.Processes.Find(number) is { } process)
        {
            return process;
        }
        problem = Problems.NotFound($"Sandbox '{id}' has no process '{pid}'.");
        return null;
    }
}
