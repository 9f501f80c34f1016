using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.AppHost.Tests;

/// <summary>Tenants and keys made through the public admin API of the running platform, as an operator would.</summary>
public static class PlatformTenants
{
    public static HttpClient As(this HttpClient client, string key)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public static HttpClient Operator(this PlatformFixture platform) => platform.Gateway().As(AppHostArgs.AdminKey);

    /// <summary>A new tenant of the tier with one key; (tenant id, key).</summary>
    public static async Task<(string TenantId, string Key)> NewTenantAsync(this PlatformFixture platform, string tier, string name, object? keyBody = null)
    {
        using var admin = platform.Operator();
        var created = await admin.PostAsJsonAsync("/admin/v1/tenants", new { name = $"{name}-{Guid.NewGuid():N}"[..30], tier });
        created.EnsureSuccessStatusCode();
        var tenantId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var key = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", keyBody ?? new { name = "e2e" });
        key.EnsureSuccessStatusCode();
        return (tenantId, JsonNode.Parse(await key.Content.ReadAsStringAsync())!["key"]!.GetValue<string>());
    }

    /// <summary>Retries a call the tenant's own rate limit or a warming service answered 429/503 to.</summary>
    public static async Task<HttpResponseMessage> PatientlyAsync(Func<Task<HttpResponseMessage>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await call();
            if ((int)response.StatusCode is not (429 or 503) || attempt == 20)
            {
                return response;
            }
            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
        }
    }
}
