namespace AgentCloud.Platform.Tenancy;

/// <summary>Header names of the internal tenant context; clients can never set them (the Gateway strips them).</summary>
public static class TenantContextHeaders
{
    /// <summary>Carries the Gateway-signed tenant-context token to internal services.</summary>
    public const string Context = "x-agentcloud-context";

    /// <summary>Any client header with this prefix is removed at the Gateway.</summary>
    public const string TenantHeaderPrefix = "x-tenant-";

    /// <summary>
    /// Prefix of the onward contexts the Gateway adds for the services the destination calls on the caller's behalf:
    /// <c>x-agentcloud-context-for-inference-router</c> carries a context only the router accepts.
    /// </summary>
    public const string OnwardPrefix = "x-agentcloud-context-for-";

    public const string Issuer = "agentcloud-gateway";

    public static string OnwardFor(string service) => OnwardPrefix + service;
}
