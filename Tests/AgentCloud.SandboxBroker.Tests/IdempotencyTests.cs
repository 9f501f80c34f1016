using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.SandboxBroker.Apis;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// <c>Idempotency-Key</c> on sandbox create and exec: a retried call is served once (one sandbox, one run key, one
/// run of the command) and answered the same; nobody else's key or answer is reachable; without Redis, 503 in time.
/// </summary>
public sealed class IdempotencyTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private readonly CountingRunCredentials _credentials = new();
    private BrokerFactory _broker = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?> { ["SandboxBroker:IssueRunKeys"] = "true" })
        {
            TestServices = services =>
            {
                services.RemoveAll<IRunCredentials>();
                services.AddSingleton<IRunCredentials>(_credentials);
            },
        };
        _ = _broker.Server;
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static HttpRequestMessage Post(string path, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add(IdempotencyFilter.Header, key);
        }
        return request;
    }

    [Fact]
    public async Task A_retried_create_with_the_same_key_gets_the_same_sandbox_and_mints_one_run_key()
    {
        using var client = _broker.ClientFor("idem-create");
        var key = Guid.NewGuid().ToString();

        using var first = await client.SendAsync(Post("/v1/sandboxes", new { }, key));
        using var retry = await client.SendAsync(Post("/v1/sandboxes", new { }, key));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal("true", retry.Headers.GetValues(IdempotencyFilter.ReplayedHeader).Single());
        var created = JsonSerializer.Deserialize<SandboxDto>(await first.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        var replayed = JsonSerializer.Deserialize<SandboxDto>(await retry.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        Assert.Equal(created.Id, replayed.Id);
        Assert.Single(_broker.Manager.List("idem-create"));
        Assert.Single(_credentials.Minted, m => m.TenantId == "idem-create");
    }

    [Fact]
    public async Task A_retried_exec_with_the_same_key_runs_the_command_once()
    {
        using var client = _broker.ClientFor("idem-exec");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "bubblewrap" });
        var count = new { command = new[] { "/bin/sh", "-c", "echo x >> /tmp/runs; wc -l < /tmp/runs" } };
        var key = Guid.NewGuid().ToString();

        using var first = await client.SendAsync(Post($"/v1/sandboxes/{sandbox.Id}/exec", count, key));
        using var retry = await client.SendAsync(Post($"/v1/sandboxes/{sandbox.Id}/exec", count, key));
        var unkeyed = await client.ExecAsync(sandbox.Id, count.command);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstRun = JsonSerializer.Deserialize<ExecDto>(await first.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        var replayed = JsonSerializer.Deserialize<ExecDto>(await retry.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        Assert.True(firstRun.ExitCode == 0, $"exit {firstRun.ExitCode}: {firstRun.Stderr}");
        Assert.Equal("1", firstRun.Stdout.Trim());
        Assert.Equal("1", replayed.Stdout.Trim());
        Assert.Equal("2", unkeyed.Stdout.Trim()); // the retry did not run: the next real run is the second
    }

    [Fact]
    public async Task The_same_key_with_a_different_body_is_refused_422()
    {
        using var client = _broker.ClientFor("idem-reuse");
        var sandbox = await client.CreateSandboxAsync();
        var key = Guid.NewGuid().ToString();
        (await client.SendAsync(Post($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "/bin/true" } }, key))).EnsureSuccessStatusCode();

        using var reused = await client.SendAsync(Post($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "/bin/echo", "other" } }, key));

        await BrokerCalls.AssertProblemAsync(reused, 422);
    }

    [Fact]
    public async Task Another_tenant_sending_a_known_key_gets_its_own_call_never_the_first_tenants_answer()
    {
        var key = Guid.NewGuid().ToString();
        using var victim = _broker.ClientFor("idem-victim");
        using var attacker = _broker.ClientFor("idem-attacker");
        // The key is what is tested, the same at every level; bubblewrap starts fastest on a busy host.
        using var victimCreate = await victim.SendAsync(Post("/v1/sandboxes", new { isolation = "bubblewrap" }, key));
        Assert.True(victimCreate.StatusCode == HttpStatusCode.Created, await victimCreate.Content.ReadAsStringAsync());
        var victimSandbox = JsonSerializer.Deserialize<SandboxDto>(await victimCreate.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;

        using var attackerCreate = await attacker.SendAsync(Post("/v1/sandboxes", new { isolation = "bubblewrap" }, key));

        Assert.Equal(HttpStatusCode.Created, attackerCreate.StatusCode);
        Assert.False(attackerCreate.Headers.Contains(IdempotencyFilter.ReplayedHeader));
        var attackerSandbox = JsonSerializer.Deserialize<SandboxDto>(await attackerCreate.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        Assert.NotEqual(victimSandbox.Id, attackerSandbox.Id);
        Assert.Null(_broker.Manager.Find("idem-attacker", victimSandbox.Id));
    }

    [Fact]
    public async Task A_keyed_create_while_redis_is_frozen_is_refused_503_in_time_and_creates_nothing()
    {
        using var client = _broker.ClientFor("idem-frozen");
        HttpStatusCode status;
        bool retryAfter;
        var clock = Stopwatch.StartNew();
        await _redis.PauseAsync();
        try
        {
            using var response = await client.SendAsync(Post("/v1/sandboxes", new { }, Guid.NewGuid().ToString()));
            (status, retryAfter) = (response.StatusCode, response.Headers.RetryAfter is not null);
            clock.Stop();
        }
        finally
        {
            await _redis.ResumeAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.True(retryAfter);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"answered after {clock.Elapsed}");
        Assert.Empty(_broker.Manager.List("idem-frozen"));
    }

    private sealed class CountingRunCredentials : IRunCredentials
    {
        public ConcurrentQueue<(string TenantId, string RunId)> Minted { get; } = new();

        public Task<RunKey> MintAsync(TenantContext caller, string runId, IReadOnlyList<string>? capabilities, TimeSpan lifetime, CancellationToken cancellationToken)
        {
            Minted.Enqueue((caller.TenantId, runId));
            return Task.FromResult(new RunKey("key_" + Guid.NewGuid().ToString("N")[..16], "ac_run_" + Guid.NewGuid().ToString("N"), runId,
                capabilities ?? ["inference"], DateTimeOffset.UtcNow + lifetime));
        }

        public Task RevokeAsync(string runId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task AnnounceEndedAsync(string tenantId, string runId) => Task.CompletedTask;

        public Task AnnounceRecoveredEndAsync(string tenantId, string runId) => Task.CompletedTask;
    }
}
