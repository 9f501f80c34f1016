using AgentCloud.Platform.Contracts;
using AgentCloud.Tools.Access;
using AgentCloud.Tools.Servers;

namespace AgentCloud.Tools.Catalog;

/// <summary>Where a permitted tool name leads: a built-in tool, or a tool of one of the tenant's servers.</summary>
public sealed record ResolvedTool(string Name, IBuiltInTool? BuiltIn, ToolServer? Server, string? RemoteName);

/// <summary>
/// The tools a caller may use: built-ins and the caller's own tenant's servers, filtered by <see cref="ToolAccess"/>.
/// A server is only asked for its tools when the caller may use at least one name under its prefix.
/// </summary>
public sealed class ToolCatalog(IEnumerable<IBuiltInTool> builtIns, ToolServerRegistry servers, RemoteTools remote, ILogger<ToolCatalog> logger)
{
    private readonly Dictionary<string, IBuiltInTool> _builtIns = builtIns.ToDictionary(t => t.Descriptor.Name, StringComparer.Ordinal);

    public async Task<IReadOnlyList<ToolDescriptor>> ListAsync(TenantPolicy policy, ToolInvocation call, CancellationToken cancellationToken)
    {
        var permitted = ToolAccess.Permitted(policy, call.Caller);
        var visible = _builtIns.Values.Select(t => t.Descriptor).Where(d => permitted.Contains(d.Name)).ToList();
        foreach (var server in await servers.ListAsync(call.Caller.TenantId))
        {
            var prefix = server.Name + ".";
            if (!permitted.Any(p => p.StartsWith(prefix, StringComparison.Ordinal)))
            {
                continue;
            }
            try
            {
                visible.AddRange((await remote.ListAsync(server, call, cancellationToken)).Where(d => permitted.Contains(d.Name)));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One unreachable server must not hide the rest; its tools are simply absent until it answers.
                logger.LogWarning("Tool server {Server} of tenant {TenantId} could not be listed: {Error}", server.Name, call.Caller.TenantId, e.GetType().Name);
            }
        }
        return visible;
    }

    /// <summary>The tool a permitted name leads to, or null when it names nothing this tenant has (never another tenant's).</summary>
    public async Task<ResolvedTool?> ResolveAsync(string tenantId, string name, CancellationToken cancellationToken)
    {
        if (_builtIns.TryGetValue(name, out var builtIn))
        {
            return new ResolvedTool(name, builtIn, null, null);
        }
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == name.Length - 1)
        {
            return null;
        }
        var server = await servers.GetAsync(tenantId, name[..dot]);
        return server is null ? null : new ResolvedTool(name, null, server, name[(dot + 1)..]);
    }
}
