using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.AppHost.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Faults.Harness;

/// <summary>
/// The whole platform started once, in local mode (redis-server and postgres as executables), for a series of faults;
/// the faults reach its resources through <see cref="Resources"/>. Traffic goes to the Gateway on 127.0.0.1 only.
/// </summary>
public sealed class FaultPlatform : IAsyncDisposable
{
    public static readonly string[] Stores = ["redis-server", "postgres"];
    public static readonly string[] Services = ["gateway", "controlplane", "inference-router", "sandbox-broker", "usage-aggregator", "memory", "tools"];

    /// <summary>The services the AppHost runs several copies of by default (AgentCloud:Replicas).</summary>
    public static readonly string[] Replicated = ["gateway", "inference-router", "sandbox-broker"];

    private FaultPlatform(AppHostArgs args, DistributedApplication app)
    {
        Args = args;
        App = app;
        Resources = new PlatformResources(app);
    }

    public AppHostArgs Args { get; }

    public DistributedApplication App { get; }

    public PlatformResources Resources { get; }

    public static async Task<FaultPlatform> StartAsync(CancellationToken cancellationToken)
    {
        Environment.SetEnvironmentVariable("ASPIRE_ALLOW_UNSECURED_TRANSPORT", "true");
        var args = AppHostArgs.Local();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentCloud_AppHost>(
            args.ToArgs("--AgentCloud:QdrantPath="), (options, _) => options.DisableDashboard = true, cancellationToken);
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("AgentCloud.AppHost.Resources", Environment.GetEnvironmentVariable("AGENTCLOUD_FAULTS_SERVICE_LOGS") == "1" ? LogLevel.Information : LogLevel.Warning));
        var app = await builder.BuildAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
        foreach (var name in Stores.Concat(Services))
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(name, cancellationToken);
        }
        var platform = new FaultPlatform(args, app);
        foreach (var name in Replicated)
        {
            await platform.Resources.WaitForEveryReplicaHealthyAsync(name, cancellationToken);
        }
        return platform;
    }

    public HttpClient Gateway(string? key = null, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Args.GatewayPort}"), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    public HttpClient Operator() => Gateway(AppHostArgs.AdminKey);

    /// <summary>A new tenant of the tier (policy overrides merged) with one default key.</summary>
    public async Task<TrafficTenant> NewTenantAsync(string tier, object? policy, CancellationToken cancellationToken)
    {
        using var admin = Operator();
        var created = await admin.PostAsJsonAsync("/admin/v1/tenants", new { name = $"faults-{tier}-{Guid.NewGuid():N}"[..30], tier, policy }, cancellationToken);
        created.EnsureSuccessStatusCode();
        var tenant = JsonNode.Parse(await created.Content.ReadAsStringAsync(cancellationToken))!;
        var tenantId = tenant["id"]!.GetValue<string>();
        var key = await NewKeyAsync(tenantId, cancellationToken);
        return new TrafficTenant(tenantId, tier, tenant["policy"]?["rateLimitFailMode"]?.GetValue<string>() ?? "?", key.Key);
    }

    /// <summary>A new default key of the tenant; (key id, key).</summary>
    public async Task<(string Id, string Key)> NewKeyAsync(string tenantId, CancellationToken cancellationToken)
    {
        using var admin = Operator();
        var response = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "faults" }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var key = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!;
        return (key["id"]!.GetValue<string>(), key["key"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(Args.StateDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort: a temp folder
        }
    }
}
