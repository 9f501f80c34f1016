using System.Diagnostics;
using AgentCloud.Tools.Egress;
using AgentCloud.Tools.Extensions;
using AgentCloud.Tools.Platform;
using AgentCloud.Tools.Servers;
using Microsoft.Extensions.Options;

namespace AgentCloud.Tools.Catalog;

/// <summary>
/// Runs one permitted, resolved tool call: bounded in time, every failure turned into a tool error the caller may see
/// (with any credential of the call scrubbed out), then audited and metered whatever the outcome.
/// </summary>
public sealed class ToolExecutor(RemoteTools remote, ToolAudit audit, ToolUsage usage, IOptions<ToolsOptions> options, TimeProvider time, ILogger<ToolExecutor> logger)
{
    public async Task<ToolOutcome> ExecuteAsync(ResolvedTool tool, ToolInvocation call, string argumentsJson, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.CallTimeout);
        ToolOutcome outcome;
        string status;
        try
        {
            outcome = tool.BuiltIn is { } builtIn
                ? await builtIn.InvokeAsync(call, timeout.Token)
                : await remote.CallAsync(tool.Server!, tool.RemoteName!, call, timeout.Token);
            status = outcome.IsError ? "error" : "ok";
        }
        catch (ToolRefusal e)
        {
            (outcome, status) = (ToolOutcome.Error(e.Message), "refused");
        }
        catch (EgressRefusedException e)
        {
            (outcome, status) = (ToolOutcome.Error(e.Message), "refused");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            (outcome, status) = (ToolOutcome.Error($"The tool did not answer within {options.Value.CallTimeout.TotalSeconds:0} seconds."), "timeout");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Exception messages of HTTP and MCP clients may quote what was sent; only the kind is logged, and the
            // caller gets a scrubbed sentence.
            logger.LogWarning("Tool {Tool} failed for tenant {TenantId}: {ErrorKind}", tool.Name, call.Caller.TenantId, e.GetType().Name);
            (outcome, status) = (ToolOutcome.Error(Describe(tool, e)), "error");
        }
        clock.Stop();
        await audit.CalledAsync(call.Caller.TenantId, call.Caller.Principal, call.Caller.RunId, tool.Name, status, clock.Elapsed, argumentsJson);
        await usage.MeterAsync(call.Caller.TenantId, call.Caller.Principal, call.Caller.RunId, tool.Name, startedAt, clock.Elapsed, status, call.Caller.ProjectId);
        return outcome with { Text = call.Scrub(outcome.Text) };
    }

    private static string Describe(ResolvedTool tool, Exception e) => e switch
    {
        ToolUnavailableException u => u.Message + " Try again shortly.",
        HttpRequestException h when h.InnerException is EgressRefusedException r => r.Message,
        HttpRequestException h => $"'{tool.Name}' could not be reached ({h.HttpRequestError}); try again shortly.",
        ModelContextProtocol.McpException m => $"'{tool.Name}' answered with an MCP error: {m.Message}",
        _ => $"'{tool.Name}' failed ({e.GetType().Name}).",
    };
}
