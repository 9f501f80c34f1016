using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Globalization;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>The broker in process, on real Redis, with its own sandbox root and uid range and fixed tenant policies.</summary>
public sealed class BrokerFactory(string redisConnectionString, IDictionary<string, string?>? settings = null, string? root = null) : WebApplicationFactory<Program>
{
    private static int Instances;

    public FakePolicies Policies { get; } = new();

    /// <summary>Replaces services after the broker's own registrations (e.g. where run keys come from).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>Not under /tmp: namespace-level sandboxes mount their own /tmp over the host's.</summary>
    public string Root { get; } = root ?? NewRoot();

    public static string NewRoot() => Path.Combine(AppContext.BaseDirectory, "sandboxes-" + Guid.NewGuid().ToString("N")[..8]);

    public int UidBase { get; } = 700_000 + Interlocked.Increment(ref Instances) * 1000 + Environment.ProcessId % 97 * 20_000;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The production client's 5 s sync timeout, not the fixture's 2 s: the fleet admission is a synchronous call, and
        // a whole suite of brokers on 2 cores can hold one past 2 s without Redis being away.
        builder.UseSetting("ConnectionStrings:redis", redisConnectionString.Replace("syncTimeout=2000", "syncTimeout=5000", StringComparison.Ordinal));
        builder.UseSetting("TenantContext:StaticJwks", TestTenantContexts.Jwks);
        builder.UseSetting("SandboxBroker:Root", Root);
        builder.UseSetting("SandboxBroker:UidBase", UidBase.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("SandboxBroker:UidCount", "1000");
        // No shared warm slots unless a test asks (WarmPool): each would boot a gVisor and a bubblewrap sandbox with every
        // broker a test starts, and refill after each take, which on 2 cores slows the whole suite. Sandboxes come cold.
        builder.UseSetting("SandboxBroker:SharedPoolSize", "0");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<ITenantPolicySource>();
            services.AddSingleton<ITenantPolicySource>(Policies);
            TestServices?.Invoke(services);
        });
    }

    public SandboxManager Manager => Services.GetRequiredService<SandboxManager>();

    public WarmPools Pools => Services.GetRequiredService<WarmPools>();

    public HttpClient ClientFor(string tenant) => CreateClient().As(TestTenantContexts.Tenant(tenant));

    public SandboxSlot SlotOf(string tenant, string id) => Manager.Find(tenant, id)!.Slot;

    public override async ValueTask DisposeAsync()
    {
        string? sockets = null;
        var root = Root;
        try
        {
            sockets = Services.GetRequiredService<SlotLayout>().Sockets;
            root = Services.GetRequiredService<SlotLayout>().Root; // a second broker on the same root has its own beside it
        }
        catch (ObjectDisposedException)
        {
            // The host already stopped itself (a test that stops Redis under it); its folders are still ours to remove.
        }
        await base.DisposeAsync();
        foreach (var dir in new[] { root, sockets }.OfType<string>().Where(Directory.Exists))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>Settings for a broker whose shared pools keep one warm slot per level and template (BrokerFactory keeps none).</summary>
public static class WarmPool
{
    public const string SizeSetting = "SandboxBroker:SharedPoolSize";

    public static Dictionary<string, string?> OfOne(IDictionary<string, string?>? settings = null) =>
        new(settings ?? new Dictionary<string, string?>()) { [SizeSetting] = "1" };
}

public sealed record SandboxDto(string Id, string Isolation, string Pool, string Template, bool Warm, DateTimeOffset CreatedAt);

public sealed record ExecDto(int ExitCode, string Stdout, string Stderr, long DurationMs, bool TimedOut, bool Truncated);

public static class BrokerCalls
{
    public static async Task<SandboxDto> CreateSandboxAsync(this HttpClient client, object? body = null)
    {
        using var response = await client.PostAsJsonAsync("/v1/sandboxes", body ?? new { });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"create: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<SandboxDto>(text, JsonSerializerOptions.Web)!;
    }

    public static async Task<ExecDto> ExecAsync(this HttpClient client, string id, string[] command, int? timeoutSeconds = null, string? stdin = null, Dictionary<string, string>? env = null)
    {
        using var response = await client.PostAsJsonAsync($"/v1/sandboxes/{id}/exec", new { command, timeoutSeconds, stdin, env });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"exec: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<ExecDto>(text, JsonSerializerOptions.Web)!;
    }

    public static Task<ExecDto> ShAsync(this HttpClient client, string id, string script, int? timeoutSeconds = null) =>
        client.ExecAsync(id, ["/bin/sh", "-c", script], timeoutSeconds);

    /// <summary>
    /// Runs a script meant to be cut by its timeout once it has printed <paramref name="mark"/>. The timeout counts from
    /// the exec's start, which a loaded host may spend launching the sandbox, so a timeout that came before the mark is
    /// tried again with a longer one (1, 3, then 9 s); the last answer is returned either way.
    /// </summary>
    public static async Task<ExecDto> ShUntilTimedOutAfterAsync(this HttpClient client, string id, string script, string mark)
    {
        ExecDto result = null!;
        foreach (var timeoutSeconds in new[] { 1, 3, 9 })
        {
            result = await client.ShAsync(id, script, timeoutSeconds);
            if (result.Stdout.Contains(mark, StringComparison.Ordinal))
            {
                break;
            }
        }
        return result;
    }

    public static async Task AssertProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        Assert.True(doc.RootElement.TryGetProperty("type", out _), body);
        Assert.False(string.IsNullOrWhiteSpace(doc.RootElement.GetProperty("detail").GetString()), body);
    }
}

/// <summary>One Redis server and one broker shared by the tests that need no special settings.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    public RedisServerFixture Redis { get; } = new();

    public BrokerFactory Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        Broker = new BrokerFactory(Redis.ConnectionString, WarmPool.OfOne()); // GvisorTests take and return warm slots
        _ = Broker.Server;
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}
