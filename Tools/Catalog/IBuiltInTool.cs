namespace AgentCloud.Tools.Catalog;

/// <summary>A tool the platform itself provides (memory, sandboxes, HTTP); registered servers' tools come from <see cref="Servers.RemoteTools"/>.</summary>
public interface IBuiltInTool
{
    ToolDescriptor Descriptor { get; }

    Task<ToolOutcome> InvokeAsync(ToolInvocation call, CancellationToken cancellationToken);
}
