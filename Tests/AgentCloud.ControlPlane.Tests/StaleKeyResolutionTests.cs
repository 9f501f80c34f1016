using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>
/// Key resolution while Postgres is stopped, on a fixture of its own: keys resolved recently are still answered, for
/// a bounded time; keys never resolved get 503 with Retry-After at once; keys revoked or whose tenant was suspended
/// while Postgres was up stay refused, as a hostile tenant would hope they were not.
/// </summary>
public sealed class StaleKeyResolutionTests(ControlPlaneFixture cp) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task While_postgres_is_stopped_recent_keys_resolve_new_ones_get_503_and_revoked_or_suspended_ones_stay_refused()
    {
        var clock = new ShiftedClock();
        await using var controlPlane = cp.Factory.WithWebHostBuilder(web => web.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(clock);
        }));
        using var gateway = controlPlane.CreateClient().As(TestTenantContexts.Gateway);
        using var operatorClient = controlPlane.CreateClient().As(TestTenantContexts.Operator);

        var tenant = await cp.CreateTenantAsync();
        var (_, known) = await cp.CreateKeyAsync(tenant);
        var (_, neverResolved) = await cp.CreateKeyAsync(tenant);
        var (revokedId, revoked) = await cp.CreateKeyAsync(tenant);
        var (revokedElsewhereId, revokedElsewhere) = await cp.CreateKeyAsync(tenant);
        var suspendedTenant = await cp.CreateTenantAsync();
        var (_, ofSuspended) = await cp.CreateKeyAsync(suspendedTenant);
        foreach (var key in new[] { known, revoked, revokedElsewhere, ofSuspended })
        {
            Assert.Equal(HttpStatusCode.OK, (await ResolveAsync(gateway, key)).Status);
        }
        (await operatorClient.DeleteAsync($"/admin/v1/tenants/{tenant}/keys/{revokedId}")).EnsureSuccessStatusCode();
        (await operatorClient.PatchAsJsonAsync($"/admin/v1/tenants/{suspendedTenant}", new { status = "suspended" })).EnsureSuccessStatusCode();
        // Revoked through another replica (the fixture's own host): this one learns it at its next resolution.
        using (var otherReplica = cp.Operator())
        {
            (await otherReplica.DeleteAsync($"/admin/v1/tenants/{tenant}/keys/{revokedElsewhereId}")).EnsureSuccessStatusCode();
        }
        Assert.Equal(HttpStatusCode.NotFound, (await ResolveAsync(gateway, revokedElsewhere)).Status);

        await cp.Postgres.StopAsync();
        try
        {
            var stale = await ResolveAsync(gateway, known);
            Assert.Equal(HttpStatusCode.OK, stale.Status);
            Assert.Equal(tenant, JsonDocument.Parse(stale.Body).RootElement.GetProperty("tenantId").GetString());
            foreach (var key in new[] { neverResolved, revoked, revokedElsewhere, ofSuspended })
            {
                var refused = await ResolveAsync(gateway, key);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
                Assert.Equal("application/problem+json", refused.MediaType);
                Assert.True(refused.RetryAfter, "503 without Retry-After");
                Assert.True(refused.Took < Promise, $"503 after {refused.Took}");
            }

            clock.Shift = TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1); // past the default bound
            var expired = await ResolveAsync(gateway, known);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, expired.Status);
            Assert.True(expired.RetryAfter);
        }
        finally
        {
            await cp.Postgres.StartAsync();
        }

        clock.Shift = TimeSpan.Zero;
        await LocalProcess.WaitUntilAsync(async () => (await ResolveAsync(gateway, known)).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "key resolution from Postgres once it is back");
        Assert.Equal(HttpStatusCode.NotFound, (await ResolveAsync(gateway, revoked)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ResolveAsync(gateway, ofSuspended)).Status);
    }

    private sealed record Answer(HttpStatusCode Status, string? MediaType, bool RetryAfter, TimeSpan Took, string Body);

    private static async Task<Answer> ResolveAsync(HttpClient gateway, string key)
    {
        var clock = Stopwatch.StartNew();
        using var response = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new ResolveKeyRequest(key));
        var took = clock.Elapsed;
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter is not null, took,
            await response.Content.ReadAsStringAsync());
    }

    /// <summary>The system clock, moved forward on demand (to pass the cache's bound without waiting for it).</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }
}
