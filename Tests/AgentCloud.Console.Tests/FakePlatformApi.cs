using AgentCloud.Console.Api;

namespace AgentCloud.Console.Tests;

/// <summary>The console's own API-client interface, answered from memory for component tests; records what was asked.</summary>
public sealed class FakePlatformApi : IPlatformApi
{
    public List<string> Calls { get; } = [];

    public List<TenantView> Tenants { get; } = [];

    public List<UsageRowView> Usage { get; } = [];

    public List<TenantSandboxView> Sandboxes { get; } = [];

    public List<CollectionView> Collections { get; } = [];

    public List<CredentialView> Credentials { get; } = [];

    /// <summary>When set, the credential listing is refused with this detail (as the API refuses a key without the capability).</summary>
    public string? CredentialsRefusal { get; set; }

    private Task<ApiResult<T>> Answer<T>(string call, T value)
    {
        Calls.Add(call);
        return Task.FromResult(ApiResult.Success(value));
    }

    public Task<ApiResult<IReadOnlyList<TenantView>>> ListTenantsAsync(CancellationToken ct) => Answer<IReadOnlyList<TenantView>>("tenants", Tenants);

    public Task<ApiResult<TenantView>> GetTenantAsync(string tenantId, CancellationToken ct) => Answer("tenant", Tenants.Single(t => t.Id == tenantId));

    public Task<ApiResult<TenantView>> CreateTenantAsync(string name, string tier, CancellationToken ct) =>
        Answer("create-tenant", new TenantView("t_new", name, tier, "active", DateTimeOffset.UnixEpoch, null, null));

    public Task<ApiResult<TenantView>> UpdateTenantAsync(string tenantId, TenantUpdate update, CancellationToken ct) => GetTenantAsync(tenantId, ct);

    public Task<ApiResult<bool>> OffboardTenantAsync(string tenantId, CancellationToken ct) => Answer("offboard", true);

    public Task<ApiResult<IReadOnlyList<KeyView>>> ListTenantKeysAsync(string tenantId, CancellationToken ct) => Answer<IReadOnlyList<KeyView>>("keys", []);

    public Task<ApiResult<CreatedKey>> CreateTenantKeyAsync(string tenantId, NewKey key, CancellationToken ct) =>
        Answer("create-key", new CreatedKey("key_1", "ac_x_y", key.Name, "ac_x", key.Capabilities, key.DefaultLane));

    public Task<ApiResult<bool>> RevokeTenantKeyAsync(string tenantId, string keyId, CancellationToken ct) => Answer("revoke", true);

    public Task<ApiResult<UsageAnswer>> ChargebackAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        Answer("chargeback", new UsageAnswer(Usage.Where(u => tenantId is null || u.TenantId == tenantId).ToList()));

    public Task<HttpResponseMessage> ChargebackCsvAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        throw new NotSupportedException("not rendered by components");

    public Task<ApiResult<ReconciliationView>> ReconciliationAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        Answer("reconciliation", new ReconciliationView(from, to, 0, 0, 0, 0));

    public Task<ApiResult<AuditPage>> AuditAsync(string? tenantId, string? cursor, CancellationToken ct) =>
        Answer("audit", new AuditPage(tenantId ?? "platform", true, null, null, [], null));

    public Task<ApiResult<SandboxPage>> AllSandboxesAsync(string? tenantId, string? cursor, CancellationToken ct) =>
        Answer("all-sandboxes", new SandboxPage(Sandboxes.Where(s => tenantId is null || s.TenantId == tenantId).ToList(), null));

    public Task<ApiResult<UsageAnswer>> OwnUsageAsync(DateTimeOffset from, DateTimeOffset to, string groupBy, CancellationToken ct) =>
        Answer("own-usage", new UsageAnswer(Usage));

    public Task<ApiResult<IReadOnlyList<KeyView>>> OwnKeysAsync(CancellationToken ct) => Answer<IReadOnlyList<KeyView>>("own-keys", []);

    public Task<ApiResult<CreatedKey>> CreateOwnKeyAsync(NewKey key, CancellationToken ct) => CreateTenantKeyAsync("", key, ct);

    public Task<ApiResult<bool>> RevokeOwnKeyAsync(string keyId, CancellationToken ct) => Answer("own-revoke", true);

    public Task<ApiResult<IReadOnlyList<SandboxView>>> OwnSandboxesAsync(CancellationToken ct) => Answer<IReadOnlyList<SandboxView>>("own-sandboxes", []);

    public Task<ApiResult<CollectionPage>> OwnCollectionsAsync(string? cursor, CancellationToken ct) =>
        Answer("own-collections", new CollectionPage(Collections, null));

    public Task<ApiResult<CredentialList>> OwnCredentialsAsync(CancellationToken ct) => CredentialsRefusal is { } refusal
        ? Task.FromResult(ApiResult.Failure<CredentialList>(403, refusal))
        : Answer("own-credentials", new CredentialList(Credentials));
}
