using System.Diagnostics;
using System.Net;

namespace AgentCloud.Faults.Harness;

/// <summary>A key that works, revoked by the operator: how long until the Gateway refuses it (polled every 50 ms).</summary>
public static class RevocationProbe
{
    public static readonly TimeSpan Promise = TimeSpan.FromSeconds(1);

    /// <summary>The time from the revocation's answer to the first 401; null when the key still worked after 5 s.</summary>
    public static async Task<TimeSpan?> MeasureAsync(FaultPlatform platform, TrafficTenant tenant, CancellationToken cancellationToken)
    {
        var (keyId, key) = await platform.NewKeyAsync(tenant.TenantId, cancellationToken);
        using var client = platform.Gateway(key, SteadyTraffic.AnswerDeadline);
        var works = await SteadyTraffic.Patiently(() => client.GetAsync("/v1/models", cancellationToken), cancellationToken);
        if (works.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"A fresh key answered {(int)works.StatusCode} before its revocation.");
        }
        using var admin = platform.Operator();
        var revoked = await SteadyTraffic.Patiently(() => admin.DeleteAsync($"/admin/v1/tenants/{tenant.TenantId}/keys/{keyId}", cancellationToken), cancellationToken);
        if (!revoked.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Revoking the key answered {(int)revoked.StatusCode}.");
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                using var response = await client.GetAsync("/v1/models", cancellationToken);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    return clock.Elapsed;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // counted by the clock
            }
            await Task.Delay(50, cancellationToken);
        }
        return null;
    }
}
