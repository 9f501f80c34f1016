using System.Text.Json;
using AgentCloud.Tools.Catalog;
using AgentCloud.Tools.Platform;

namespace AgentCloud.Tools.BuiltIns;

/// <summary>
/// <c>sandbox.exec</c>: runs a command in a sandbox the caller owns, through the SandboxBroker in the caller's context
/// (so another tenant's sandbox id is simply not found, and the key needs <c>sandbox</c> as for a direct call).
/// No credential ever enters the sandbox through this tool.
/// </summary>
public sealed class SandboxExecTool(PlatformServices services) : IBuiltInTool
{
    public ToolDescriptor Descriptor { get; } = new("sandbox.exec", "Run a command in one of the caller's sandboxes and return its exit code and output.",
        Schemas.Object(["sandboxId", "command"],
            ("sandboxId", "string", "The sandbox, e.g. sbx_..."),
            ("command", "array", "The program and its arguments, e.g. [\"python3\", \"-c\", \"print(6*7)\"]."),
            ("timeoutSeconds", "integer", "How long the command may run.")));

    public Task<ToolOutcome> InvokeAsync(ToolInvocation call, CancellationToken cancellationToken)
    {
        var sandboxId = call.String("sandboxId") is { Length: > 0 } id ? id : throw new ToolRefusal("'sandboxId' is required: one of your sandboxes.");
        if (!call.Arguments.TryGetValue("command", out var command) || command.ValueKind != JsonValueKind.Array || command.GetArrayLength() == 0
            || command.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
        {
            throw new ToolRefusal("'command' is required: an array of strings, the program first.");
        }
        var argv = command.EnumerateArray().Select(a => a.GetString()).ToList();
        return services.SendAsync(PlatformServices.SandboxClient, HttpMethod.Post, $"/v1/sandboxes/{Uri.EscapeDataString(sandboxId)}/exec",
            new { command = argv, timeoutSeconds = call.Int("timeoutSeconds") }, call, cancellationToken);
    }
}
