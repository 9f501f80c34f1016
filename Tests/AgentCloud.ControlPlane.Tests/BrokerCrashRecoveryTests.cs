using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Mvc.Testing;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>
/// The SandboxBroker killed without a shutdown (SIGKILL) while a sandbox is leased, then started again on the same state
/// directory, with the real ControlPlane (on Postgres, listening on a port) issuing and revoking the run's key: the
/// lease is billed once, its run key is refused, and nothing it ran or mounted is left on the host.
/// </summary>
public sealed class BrokerCrashRecoveryTests : IAsyncLifetime
{
    private readonly PostgresServerFixture _postgres = new();
    private readonly RedisServerFixture _redis = new();
    private readonly int _controlPlanePort = LocalProcess.FreePort();
    private WebApplicationFactory<Program> _controlPlane = null!;

    // Not under /tmp: namespace-level sandboxes mount their own /tmp over the host's.
    private readonly string _stateDirectory = Path.Combine(AppContext.BaseDirectory, "broker-state-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int _uidBase = 3_000_000 + Environment.ProcessId % 97 * 1000;
    private const int UidCount = 50;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_postgres.InitializeAsync(), _redis.InitializeAsync());
        var database = await _postgres.CreateDatabaseAsync("controlplane");
        _controlPlane = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:controlplane-db", database);
            web.UseSetting("ConnectionStrings:redis", _redis.ConnectionString);
            web.UseSetting("TenantContext:StaticJwks", TestTenantContexts.Jwks);
            web.UseSetting("ControlPlane:VaultMasterKey", ControlPlaneFixture.MasterKey);
            web.UseSetting("ControlPlane:ToolInjectionKey", ControlPlaneFixture.ToolInjectionKey);
            foreach (var (key, value) in SimulatedModels.ControlPlaneSettings)
            {
                web.UseSetting(key, value);
            }
        });
        _controlPlane.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _controlPlanePort));
        _controlPlane.StartServer();
    }

    public async Task DisposeAsync()
    {
        await _controlPlane.DisposeAsync();
        await Task.WhenAll(_redis.DisposeAsync(), _postgres.DisposeAsync());
        try
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// A create as a client makes it: a 503 is tried again after its Retry-After. The broker's first policy read from a
    /// cold ControlPlane can overrun its 750 ms budget on a loaded machine, which is answered 503, as it should be.
    /// </summary>
    private static async Task<HttpResponseMessage> CreateSandboxAsync(HttpClient tenant)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await tenant.PostAsJsonAsync("/v1/sandboxes", new { });
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 5)
            {
                return response;
            }
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait);
        }
    }

    private HttpClient ControlPlane(AgentCloud.Platform.Tenancy.TenantContext context) =>
        new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_controlPlanePort}") }.As(context);

    private Dictionary<string, string> BrokerSettings => new()
    {
        ["ConnectionStrings:redis"] = _redis.ConnectionString,
        ["TenantContext:StaticJwks"] = TestTenantContexts.Jwks,
        ["services:controlplane:http:0"] = $"http://127.0.0.1:{_controlPlanePort}",
        ["SandboxBroker:Root"] = _stateDirectory,
        ["SandboxBroker:UidBase"] = _uidBase.ToString(CultureInfo.InvariantCulture),
        ["SandboxBroker:UidCount"] = UidCount.ToString(CultureInfo.InvariantCulture),
        ["SandboxBroker:SharedPoolSize"] = "0",
        ["SandboxBroker:IssueRunKeys"] = "true",
    };

    [Fact]
    public async Task A_lease_live_when_the_broker_crashed_is_billed_once_its_run_key_refused_and_its_sandbox_reclaimed_at_restart()
    {
        using var operatorClient = ControlPlane(TestTenantContexts.Operator);
        using var created = await operatorClient.PostAsJsonAsync("/admin/v1/tenants", new { name = "Crash " + Guid.NewGuid().ToString("N")[..6], tier = "pro" });
        created.EnsureSuccessStatusCode();
        var tenantId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var token = TestTenantContexts.Mint(TestTenantContexts.Tenant(tenantId), TimeSpan.FromMinutes(30));

        string sandboxId, isolation, runKey;
        var first = await BrokerProcess.StartAsync(BrokerSettings, token);
        try
        {
            using var tenant = first.Client(token);
            using var sandbox = await CreateSandboxAsync(tenant);
            var body = await sandbox.Content.ReadAsStringAsync();
            Assert.True(sandbox.StatusCode == HttpStatusCode.Created, $"create: {(int)sandbox.StatusCode} {body}\n{first.Output}");
            using (var view = JsonDocument.Parse(body))
            {
                sandboxId = view.RootElement.GetProperty("id").GetString()!;
                isolation = view.RootElement.GetProperty("isolation").GetString()!;
            }
            using var exec = await tenant.PostAsJsonAsync($"/v1/sandboxes/{sandboxId}/exec", new { command = new[] { "/bin/sh", "-c", "echo \"$AGENTCLOUD_KEY\"" } });
            var printed = await exec.Content.ReadAsStringAsync();
            Assert.True(exec.IsSuccessStatusCode, $"exec: {(int)exec.StatusCode} {printed}");
            runKey = JsonDocument.Parse(printed).RootElement.GetProperty("stdout").GetString()!.Trim();
            Assert.Equal(HttpStatusCode.OK, await ResolveAsync(runKey));
        }
        finally
        {
            await first.CrashAsync();
        }

        // What a crash leaves: no bill yet, a key that still works, the slot's mounts and (gVisor) its sandbox processes.
        Assert.Equal(0, await UsageEventsAsync(sandboxId));
        Assert.Equal(HttpStatusCode.OK, await ResolveAsync(runKey));
        Assert.NotEmpty(MountsUnderState());
        if (isolation == "gvisor")
        {
            Assert.NotEmpty(LeftoverProcesses());
        }

        await using (var second = await BrokerProcess.StartAsync(BrokerSettings, token))
        {
            try
            {
                await LocalProcess.WaitUntilAsync(async () => await UsageEventsAsync(sandboxId) == 1 && await ResolveAsync(runKey) == HttpStatusCode.NotFound,
                    TimeSpan.FromSeconds(30), "the crashed lease's bill and run-key revocation");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message} Usage events: {await UsageEventsAsync(sandboxId)}, run key resolves {await ResolveAsync(runKey)}. Broker:\n{second.Output}", e);
            }
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(_stateDirectory, "leases"), "*.lease.json"));
            Assert.Empty(LeftoverProcesses());
            Assert.Empty(MountsUnderState());
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_stateDirectory, "tenants")));
            using var tenant = second.Client(token);
            // The crash lost it: the tenant is told so (410 sandbox-lost), not that it never existed.
            using var gone = await tenant.GetAsync($"/v1/sandboxes/{sandboxId}");
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
            Assert.EndsWith("sandbox-lost", JsonDocument.Parse(await gone.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
            await second.StopAsync();
        }

        Assert.Equal(1, await UsageEventsAsync(sandboxId));
        var billed = Assert.Single(await UsageOfAsync(sandboxId));
        Assert.Equal(tenantId, billed.TenantId);
        Assert.Equal("sandbox", billed.Kind);
        Assert.True(billed.SandboxSeconds > 0, $"sandboxSeconds {billed.SandboxSeconds}");
    }

    private async Task<HttpStatusCode> ResolveAsync(string key)
    {
        using var gateway = ControlPlane(TestTenantContexts.Gateway);
        using var response = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new ResolveKeyRequest(key));
        return response.StatusCode;
    }

    /// <summary>Every entry for the lease on the usage stream; consumers count an event id once, but no second entry is even added.</summary>
    private async Task<UsageEvent[]> UsageOfAsync(string sandboxId) =>
        (await _redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e?.EventId == $"sandbox:{sandboxId}").Select(e => e!).ToArray();

    private async Task<int> UsageEventsAsync(string sandboxId) => (await UsageOfAsync(sandboxId)).Length;

    /// <summary>Host processes the broker's sandboxes own: one of its uids, or runsc working under its state directory.</summary>
    private List<string> LeftoverProcesses()
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                if (status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z')))
                {
                    continue;
                }
                var uid = int.Parse(status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal))[4..].Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[0],
                    CultureInfo.InvariantCulture);
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if ((uid >= _uidBase && uid < _uidBase + UidCount) || (cmdline.Contains(_stateDirectory, StringComparison.Ordinal) && !cmdline.Contains("dotnet", StringComparison.Ordinal)))
                {
                    found.Add($"{pid} uid {uid}: {cmdline}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }
        return found;
    }

    private List<string> MountsUnderState() =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(_stateDirectory, StringComparison.Ordinal)).ToList();
}
