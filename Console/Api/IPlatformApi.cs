namespace AgentCloud.Console.Api;

/// <summary>
/// The public API as the signed-in user may call it: every call carries that user's key and goes through the Gateway,
/// so the console holds no privilege of its own. Paths are exactly those of docs/api.md.
/// </summary>
public interface IPlatformApi
{
    // Operator (admin key).
    Task<ApiResult<IReadOnlyList<TenantView>>> ListTenantsAsync(CancellationToken ct);
    Task<ApiResult<TenantView>> GetTenantAsync(string tenantId, CancellationToken ct);
    Task<ApiResult<TenantView>> CreateTenantAsync(string name, string tier, CancellationToken ct);
    Task<ApiResult<TenantView>> UpdateTenantAsync(string tenantId, TenantUpdate update, CancellationToken ct);
    Task<ApiResult<bool>> OffboardTenantAsync(string tenantId, CancellationToken ct);
    Task<ApiResult<IReadOnlyList<KeyView>>> ListTenantKeysAsync(string tenantId, CancellationToken ct);
    Task<ApiResult<CreatedKey>> CreateTenantKeyAsync(string tenantId, NewKey key, CancellationToken ct);
    Task<ApiResult<bool>> RevokeTenantKeyAsync(string tenantId, string keyId, CancellationToken ct);
    Task<ApiResult<UsageAnswer>> ChargebackAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
    Task<HttpResponseMessage> ChargebackCsvAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
    Task<ApiResult<ReconciliationView>> ReconciliationAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
    Task<ApiResult<AuditPage>> AuditAsync(string? tenantId, string? cursor, CancellationToken ct);
    Task<ApiResult<SandboxPage>> AllSandboxesAsync(string? tenantId, string? cursor, CancellationToken ct);

    // Tenant (tenant key): its own data only, whatever the console asks.
    Task<ApiResult<UsageAnswer>> OwnUsageAsync(DateTimeOffset from, DateTimeOffset to, string groupBy, CancellationToken ct);
    Task<ApiResult<IReadOnlyList<KeyView>>> OwnKeysAsync(CancellationToken ct);
    Task<ApiResult<CreatedKey>> CreateOwnKeyAsync(NewKey key, CancellationToken ct);
    Task<ApiResult<bool>> RevokeOwnKeyAsync(string keyId, CancellationToken ct);
    Task<ApiResult<IReadOnlyList<SandboxView>>> OwnSandboxesAsync(CancellationToken ct);
    Task<ApiResult<CollectionPage>> OwnCollectionsAsync(string? cursor, CancellationToken ct);
    Task<ApiResult<CredentialList>> OwnCredentialsAsync(CancellationToken ct);
}
