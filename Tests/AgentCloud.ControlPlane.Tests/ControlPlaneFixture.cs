using System.Net;
using System.Net.Http.Json;
using AgentCloud.Platform.Contracts;
using System.Text.Json;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using System.Globalization;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>
/// The ControlPlane in process on a real Postgres and Redis, started once for the collection (migrations run
/// as the owner, requests as the service role). Tests make their own tenants, so they do not see each other's.
/// </summary>
public sealed class ControlPlaneFixture : IAsyncLifetime
{
    public const string MasterKey = "test-vault-master-key-0123456789abcdef";
    public const string ToolInjectionKey = "test-tool-injection-key-0123456789abcdef";

    public PostgresServerFixture Postgres { get; } = new();
    public RedisServerFixture Redis { get; } = new();
    public string OwnerConnectionString { get; private set; } = "";
    public string ServiceRoleConnectionString => ServiceRole.ConnectionStringFor(OwnerConnectionString, ServiceRole.PasswordFor(MasterKey))!;
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    /// <summary>Every line the service logs, to assert what never appears in them (secrets).</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Attempts of one alert delivery before it is recorded as failed (with backoffs of milliseconds, for the tests).</summary>
    public const int AlertMaxAttempts = 4;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Postgres.InitializeAsync(), Redis.InitializeAsync());
        OwnerConnectionString = await Postgres.CreateDatabaseAsync("controlplane");
        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:controlplane-db", OwnerConnectionString);
            web.UseSetting("ConnectionStrings:redis", Redis.ConnectionString);
            web.UseSetting("TenantContext:StaticJwks", TestTenantContexts.Jwks);
            web.UseSetting("ControlPlane:VaultMasterKey", MasterKey);
            web.UseSetting("ControlPlane:ToolInjectionKey", ToolInjectionKey);
            // Webhook receivers of the alert tests listen on 127.0.0.1; everything else internal stays refused.
            web.UseSetting("ControlPlane:Alerts:AllowLoopbackReceivers", "true");
            web.UseSetting("ControlPlane:Alerts:PollInterval", "00:00:00.050");
            web.UseSetting("ControlPlane:Alerts:InitialBackoff", "00:00:00.050");
            web.UseSetting("ControlPlane:Alerts:MaxBackoff", "00:00:00.200");
            web.UseSetting("ControlPlane:Alerts:AttemptTimeout", "00:00:05");
            web.UseSetting("ControlPlane:Alerts:MaxAttempts", AlertMaxAttempts.ToString(CultureInfo.InvariantCulture));
            web.UseSetting("ControlPlane:Alerts:ClaimIdle", "00:00:01");
            web.ConfigureServices(services => services.AddLogging(logging => logging.AddProvider(Logs)));
            foreach (var (key, value) in SimulatedModels.ControlPlaneSettings)
            {
                web.UseSetting(key, value);
            }
        });
        using var warmUp = Factory.CreateClient();
        (await warmUp.GetAsync("/health")).EnsureSuccessStatusCode();
    }

    public HttpClient Client(TenantContext context) => Factory.CreateClient().As(context);

    public HttpClient Operator() => Client(TestTenantContexts.Operator);

    /// <summary>Creates a tenant through the operator API and returns its id.</summary>
    public async Task<string> CreateTenantAsync(object? body = null)
    {
        using var client = Operator();
        var response = await client.PostAsJsonAsync("/admin/v1/tenants", body ?? new { name = "Tenant " + Guid.NewGuid().ToString("N")[..6], tier = "pro" });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Creates a key for a tenant and returns (id, key).</summary>
    /// <summary>What the Gateways are told a key stands for; null when it is refused.</summary>
    public async Task<ResolvedKey?> ResolveKeyAsync(string key)
    {
        using var gateway = Client(TestTenantContexts.Gateway);
        var response = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key });
        return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<ResolvedKey>() : null;
    }

    public async Task<(string Id, string Key)> CreateKeyAsync(string tenantId, object? body = null)
    {
        using var client = Operator();
        var response = await client.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", body ?? new { name = "ci" });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("key").GetString()!);
    }

    /// <summary>Runs SQL as the database owner (what an attacker with the owner's access, or the test, can do).</summary>
    public async Task<long> OwnerScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(OwnerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        var result = await cmd.ExecuteScalarAsync();
        return result is null or DBNull ? 0 : Convert.ToInt64(result, CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ControlPlaneCollection : ICollectionFixture<ControlPlaneFixture>
{
    public const string Name = "controlplane";
}
