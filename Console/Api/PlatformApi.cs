using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using AgentCloud.Console.Auth;

namespace AgentCloud.Console.Api;

/// <summary>
/// <see cref="IPlatformApi"/> over HTTP to the Gateway (its service-discovery name), each call with the signed-in user's
/// key as Bearer. A store or service that is away is a problem the page shows (with the API's detail), never an error page.
/// </summary>
public sealed class PlatformApi(HttpClient http, ConsoleUser user) : IPlatformApi
{
    public const string HttpClientName = "gateway";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<ApiResult<IReadOnlyList<TenantView>>> ListTenantsAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<TenantView>>(HttpMethod.Get, "admin/v1/tenants", null, ct);

    public Task<ApiResult<TenantView>> GetTenantAsync(string tenantId, CancellationToken ct) =>
        SendAsync<TenantView>(HttpMethod.Get, $"admin/v1/tenants/{Segment(tenantId)}", null, ct);

    public Task<ApiResult<TenantView>> CreateTenantAsync(string name, string tier, CancellationToken ct) =>
        SendAsync<TenantView>(HttpMethod.Post, "admin/v1/tenants", new { name, tier }, ct);

    public Task<ApiResult<TenantView>> UpdateTenantAsync(string tenantId, TenantUpdate update, CancellationToken ct) =>
        SendAsync<TenantView>(HttpMethod.Patch, $"admin/v1/tenants/{Segment(tenantId)}", TenantPatch.Of(update), ct);

    public Task<ApiResult<bool>> OffboardTenantAsync(string tenantId, CancellationToken ct) =>
        SendAsync<bool>(HttpMethod.Delete, $"admin/v1/tenants/{Segment(tenantId)}", null, ct);

    public Task<ApiResult<IReadOnlyList<KeyView>>> ListTenantKeysAsync(string tenantId, CancellationToken ct) =>
        SendAsync<IReadOnlyList<KeyView>>(HttpMethod.Get, $"admin/v1/tenants/{Segment(tenantId)}/keys", null, ct);

    public Task<ApiResult<CreatedKey>> CreateTenantKeyAsync(string tenantId, NewKey key, CancellationToken ct) =>
        SendAsync<CreatedKey>(HttpMethod.Post, $"admin/v1/tenants/{Segment(tenantId)}/keys", key, ct);

    public Task<ApiResult<bool>> RevokeTenantKeyAsync(string tenantId, string keyId, CancellationToken ct) =>
        SendAsync<bool>(HttpMethod.Delete, $"admin/v1/tenants/{Segment(tenantId)}/keys/{Segment(keyId)}", null, ct);

    public Task<ApiResult<UsageAnswer>> ChargebackAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        SendAsync<UsageAnswer>(HttpMethod.Get, $"admin/v1/usage?{TenantQuery(tenantId)}from={Time(from)}&to={Time(to)}&groupBy=model&format=json", null, ct);

    public async Task<HttpResponseMessage> ChargebackCsvAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, $"admin/v1/usage?{TenantQuery(tenantId)}from={Time(from)}&to={Time(to)}&groupBy=model&format=csv", null);
        // Streamed: the console relays the body as it comes, never holding a whole export.
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    public Task<ApiResult<ReconciliationView>> ReconciliationAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        SendAsync<ReconciliationView>(HttpMethod.Get, $"admin/v1/usage/reconciliation?{TenantQuery(tenantId)}from={Time(from)}&to={Time(to)}", null, ct);

    public Task<ApiResult<AuditPage>> AuditAsync(string? tenantId, string? cursor, CancellationToken ct) =>
        SendAsync<AuditPage>(HttpMethod.Get, $"admin/v1/audit?{TenantQuery(tenantId)}limit=100{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", null, ct);

    public Task<ApiResult<SandboxPage>> AllSandboxesAsync(string? tenantId, string? cursor, CancellationToken ct) =>
        SendAsync<SandboxPage>(HttpMethod.Get, $"admin/v1/sandboxes?{TenantQuery(tenantId)}limit=100{CursorQuery(cursor)}", null, ct);

    public Task<ApiResult<UsageAnswer>> OwnUsageAsync(DateTimeOffset from, DateTimeOffset to, string groupBy, CancellationToken ct) =>
        SendAsync<UsageAnswer>(HttpMethod.Get, $"v1/usage?from={Time(from)}&to={Time(to)}&groupBy={Uri.EscapeDataString(groupBy)}", null, ct);

    public Task<ApiResult<IReadOnlyList<KeyView>>> OwnKeysAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<KeyView>>(HttpMethod.Get, "v1/keys", null, ct);

    public Task<ApiResult<CreatedKey>> CreateOwnKeyAsync(NewKey key, CancellationToken ct) =>
        SendAsync<CreatedKey>(HttpMethod.Post, "v1/keys", key, ct);

    public Task<ApiResult<bool>> RevokeOwnKeyAsync(string keyId, CancellationToken ct) =>
        SendAsync<bool>(HttpMethod.Delete, $"v1/keys/{Segment(keyId)}", null, ct);

    public Task<ApiResult<IReadOnlyList<SandboxView>>> OwnSandboxesAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<SandboxView>>(HttpMethod.Get, "v1/sandboxes", null, ct);

    public Task<ApiResult<CollectionPage>> OwnCollectionsAsync(string? cursor, CancellationToken ct) =>
        SendAsync<CollectionPage>(HttpMethod.Get, $"v1/memory?limit=100{CursorQuery(cursor)}", null, ct);

    public Task<ApiResult<CredentialList>> OwnCredentialsAsync(CancellationToken ct) =>
        SendAsync<CredentialList>(HttpMethod.Get, "v1/credentials", null, ct);

    private HttpRequestMessage Request(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Key
            ?? throw new InvalidOperationException("The console called the API without a signed-in user."));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }
        return request;
    }

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = Request(method, path, body);
        try
        {
            using var response = await http.SendAsync(request, ct);
            return await ApiAnswer.ReadAsync<T>(response, Json, ct);
        }
        catch (HttpRequestException)
        {
            return ApiResult.Failure<T>(503, "The platform's Gateway could not be reached; retry in a moment.");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return ApiResult.Failure<T>(504, "The platform did not answer in time; retry in a moment.");
        }
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private static string TenantQuery(string? tenantId) => string.IsNullOrEmpty(tenantId) ? "" : $"tenantId={Uri.EscapeDataString(tenantId)}&";

    private static string CursorQuery(string? cursor) => cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor);

    private static string Time(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
}
