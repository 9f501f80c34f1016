namespace AgentCloud.ServiceDefaults.Tenancy;

/// <summary>Header names of the internal tenant context; clients can never set them (the Gateway strips them).</summary>
public static class TenantContextHeaders
{
    /// <summary>Carries the Gateway-signed tenant-context token to internal services.</summary>
    public const string Context = "x-agentcloud-context";

    /// <summary>Any client header with this prefix is removed at the Gateway.</summary>
    public const string TenantHeaderPrefix = "x-tenant-";

    public const string Issuer = "agentcloud-gateway";
    public const string Audience = "agentcloud-services";
}
