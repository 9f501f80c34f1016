using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// The broker's side of run keys: each sandbox gets one, only its processes see it, and it is revoked when the run
/// ends. Where keys come from is our own <see cref="IRunCredentials"/> contract, recorded here; the ControlPlane's side
/// and the whole path through the Gateway are tested in their own projects.
/// </summary>
public sealed class RunKeyTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private readonly RecordingRunCredentials _credentials = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private BrokerFactory Broker(bool issueRunKeys = true, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["SandboxBroker:IssueRunKeys"] = issueRunKeys ? "true" : "false" };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        return new BrokerFactory(_redis.ConnectionString, settings)
        {
            TestServices = services =>
            {
                services.RemoveAll<IRunCredentials>();
                services.AddSingleton<IRunCredentials>(_credentials);
            },
        };
    }

    [Fact]
    public async Task The_runs_key_is_in_its_processes_environment_and_nowhere_in_the_api()
    {
        await using var broker = Broker();
        var client = broker.ClientFor("rk-env");

        using var created = await client.PostAsJsonAsync("/v1/sandboxes", new { });
        var body = await created.Content.ReadAsStringAsync();
        var sandbox = System.Text.Json.JsonSerializer.Deserialize<SandboxDto>(body, System.Text.Json.JsonSerializerOptions.Web)!;
        var printed = await client.ExecAsync(sandbox.Id, ["/bin/sh", "-c", "echo \"$AGENTCLOUD_KEY $AGENTCLOUD_RUN_ID\""],
            env: new() { ["AGENTCLOUD_KEY"] = "a-key-of-my-choosing" });

        var minted = Assert.Single(_credentials.Minted);
        Assert.Equal("rk-env", minted.TenantId);
        Assert.Equal(sandbox.Id, minted.RunId);
        Assert.Equal($"{minted.Key.Key} {sandbox.Id}", printed.Stdout.Trim());
        Assert.DoesNotContain(minted.Key.Key, body);
        Assert.DoesNotContain(minted.Key.Key, await client.GetStringAsync($"/v1/sandboxes/{sandbox.Id}"));
        Assert.Contains(minted.Key.Id, body);
    }

    [Fact]
    public async Task Deleting_the_sandbox_revokes_its_run_key_before_answering()
    {
        await using var broker = Broker();
        var client = broker.ClientFor("rk-delete");
        var sandbox = await client.CreateSandboxAsync();

        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal([sandbox.Id], _credentials.Revoked);
        Assert.Contains(("rk-delete", sandbox.Id), _credentials.Ended);
    }

    [Fact]
    public async Task A_sandbox_reaped_when_idle_announces_the_end_of_its_run()
    {
        await using var broker = Broker(extra: new() { ["SandboxBroker:IdleTimeout"] = "00:00:01", ["SandboxBroker:SweepInterval"] = "00:00:00.200" });
        var client = broker.ClientFor("rk-idle");
        var sandbox = await client.CreateSandboxAsync();

        await IsolationTests.WaitUntil(() => _credentials.Ended.Contains(("rk-idle", sandbox.Id)));

        Assert.Empty(_credentials.Revoked);
    }

    [Fact]
    public async Task Without_a_run_key_no_sandbox_is_handed_out()
    {
        await using var broker = Broker();
        var client = broker.ClientFor("rk-down");
        _credentials.Unavailable = true;

        using var response = await client.PostAsJsonAsync("/v1/sandboxes", new { });

        await BrokerCalls.AssertProblemAsync(response, 503);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Empty(broker.Manager.List("rk-down"));
    }

    [Fact]
    public async Task Asking_for_capabilities_the_caller_cannot_give_is_400_and_leaves_no_sandbox()
    {
        await using var broker = Broker();
        var client = broker.ClientFor("rk-greedy");

        using var response = await client.PostAsJsonAsync("/v1/sandboxes", new { capabilities = new[] { "inference", "sandbox" } });

        await BrokerCalls.AssertProblemAsync(response, 400);
        Assert.Empty(broker.Manager.List("rk-greedy"));
    }

    [Fact]
    public async Task Where_run_keys_are_off_the_sandbox_gets_no_key()
    {
        await using var broker = Broker(issueRunKeys: false);
        var client = broker.ClientFor("rk-off");
        var sandbox = await client.CreateSandboxAsync();

        var printed = await client.ShAsync(sandbox.Id, "echo \"[${AGENTCLOUD_KEY:-none}]\"");

        Assert.Equal("[none]", printed.Stdout.Trim());
        Assert.Empty(_credentials.Minted);
    }

    internal sealed class RecordingRunCredentials : IRunCredentials
    {
        public ConcurrentQueue<(string TenantId, string RunId, RunKey Key)> Minted { get; } = new();
        public ConcurrentQueue<string> Revoked { get; } = new();
        public ConcurrentQueue<(string, string)> Ended { get; } = new();
        public ConcurrentQueue<(string, string)> RecoveredEnds { get; } = new();
        public volatile bool Unavailable;

        public Task<RunKey> MintAsync(TenantContext caller, string runId, IReadOnlyList<string>? capabilities, TimeSpan lifetime, CancellationToken cancellationToken)
        {
            if (Unavailable)
            {
                throw new RunKeyUnavailableException("The ControlPlane could not be reached for a run key.");
            }
            if (capabilities?.Contains("sandbox") == true)
            {
                // What the ControlPlane answers for a power a run key may not carry.
                throw new SandboxRefusal(RefusalKind.Invalid, "Capability 'sandbox' cannot be given to a run key.");
            }
            var key = new RunKey("key_" + Guid.NewGuid().ToString("N")[..16], "ac_run_" + Guid.NewGuid().ToString("N"), runId,
                capabilities ?? ["inference"], DateTimeOffset.UtcNow + lifetime);
            Minted.Enqueue((caller.TenantId, runId, key));
            return Task.FromResult(key);
        }

        public Task RevokeAsync(string runId, CancellationToken cancellationToken)
        {
            Revoked.Enqueue(runId);
            return Task.CompletedTask;
        }

        public Task AnnounceEndedAsync(string tenantId, string runId)
        {
            Ended.Enqueue((tenantId, runId));
            return Task.CompletedTask;
        }

        public Task AnnounceRecoveredEndAsync(string tenantId, string runId)
        {
            RecoveredEnds.Enqueue((tenantId, runId));
            return Task.CompletedTask;
        }
    }
}
