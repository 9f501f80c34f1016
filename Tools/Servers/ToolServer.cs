namespace AgentCloud.Tools.Servers;

/// <summary>A tenant's registered MCP server: its tools appear as <c>{Name}.{tool}</c>; calls carry <see cref="Integration"/>'s credential.</summary>
public sealed record ToolServer(string Name, string Url, string? Integration, DateTimeOffset CreatedAt);

public sealed record RegisterServerRequest(string? Name, string? Url, string? Integration);
