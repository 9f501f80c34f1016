using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AgentCloud.Gateway.Auth;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using System.Globalization;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// What a stranger with no key can cost the platform: a malformed key nothing, a well-formed guess one lookup until its
/// address is over its failure limit, then nothing; refusals reach the audit trail as one counted entry per window.
/// </summary>
public sealed class AbuseResistanceTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _gateway = env.NewGateway(new Dictionary<string, string?>
    {
        ["Gateway:FailedCallLimit"] = "10",
        ["Gateway:FailedCallWindow"] = "00:01:00",
        ["Gateway:RefusalAuditWindow"] = "00:00:01",
    });

    [Fact]
    public async Task Malformed_keys_are_refused_without_asking_the_controlplane()
    {
        using var client = _gateway.Client();
        var before = env.ControlPlane.ResolveCalls;
        string[] malformed = ["ac_" + new string('a', 60), "ac_ABCDEFGHIJKL_" + new string('A', 40), new string('x', 56), "ac_abcdefghijkl_" + new string('A', 39) + "-"];

        foreach (var key in malformed)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
            await Problem.AssertAsync(await client.SendAsync(request), HttpStatusCode.Unauthorized, "Malformed API key");
        }

        Assert.Equal(before, env.ControlPlane.ResolveCalls);
    }

    [Fact]
    public async Task An_address_over_its_failure_limit_gets_429_without_lookups_while_known_keys_and_other_addresses_go_on()
    {
        var (_, good) = env.ControlPlane.AddKey("bystander");
        using var attacker = _gateway.Client();
        using var tenant = _gateway.Client(good);
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/v1/models")).StatusCode);

        for (var i = 0; i < 10; i++)
        {
            await Problem.AssertAsync(await GuessAsync(attacker), HttpStatusCode.Unauthorized);
        }
        var lookupsBefore = env.ControlPlane.ResolveCalls;
        var limited = await GuessAsync(attacker);
        var alsoLimited = await GuessAsync(attacker);

        await Problem.AssertAsync(limited, HttpStatusCode.TooManyRequests, "retry after");
        Assert.InRange(int.Parse(limited.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture), 1, 60);
        await Problem.AssertAsync(alsoLimited, HttpStatusCode.TooManyRequests);
        Assert.Equal(lookupsBefore, env.ControlPlane.ResolveCalls);
        // The tenant's key, already known good here, passes from the very same address.
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/v1/models")).StatusCode);
        // Another address has its own budget.
        using var elsewhere = ClientFrom(IPAddress.Parse("127.0.0.2"));
        await Problem.AssertAsync(await GuessAsync(elsewhere), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_burst_of_concurrent_guesses_gets_no_more_lookups_than_the_limit()
    {
        using var attacker = _gateway.Client();
        var before = env.ControlPlane.ResolveCalls;

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => GuessAsync(attacker)));

        Assert.InRange(env.ControlPlane.ResolveCalls - before, 1, 10);
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests));
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests) >= 30);
    }

    [Fact]
    public async Task The_operator_key_still_works_from_an_address_that_keeps_failing()
    {
        using var client = _gateway.Client();
        for (var i = 0; i < 12; i++)
        {
            await GuessAsync(client);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/tenants/probe");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + GatewayFactory.AdminKey);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/tenants/probe");
        wrong.Headers.TryAddWithoutValidation("Authorization", "Bearer not-the-admin-key-at-all-0123456789");

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
        await Problem.AssertAsync(await client.SendAsync(wrong), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Refusals_reach_the_audit_stream_as_one_counted_entry_per_window_not_one_per_call()
    {
        using var client = _gateway.Client();
        var instance = _gateway.Services.GetRequiredService<RefusedKeyAuditPublisher>().Instance;

        for (var i = 0; i < 60; i++)
        {
            await GuessAsync(client);
        }

        var counted = 0L;
        var entries = 0;
        await LocalProcess.WaitUntilAsync(async () =>
        {
            var mine = (await env.Redis.Connection.GetDatabase().StreamRangeAsync(PlatformAuditEntry.StreamName))
                .Select(e => e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()))
                .Where(f => f["actor"] == "gateway:" + instance && f["action"] == PlatformAuditEntry.KeysRefused)
                .ToList();
            entries = mine.Count;
            counted = mine.Sum(f => JsonDocument.Parse(f["data"]).RootElement.GetProperty("count").GetInt64());
            return counted >= 60;
        }, TimeSpan.FromSeconds(20), "the Gateway to publish its refused-call window");

        Assert.Equal(60, counted);
        Assert.InRange(entries, 1, 3);
        Assert.All((await env.Redis.Connection.GetDatabase().StreamRangeAsync(PlatformAuditEntry.StreamName))
            .Select(e => e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()))
            .Where(f => f["actor"] == "gateway:" + instance),
            f => Assert.NotNull(PlatformAuditEntry.TryParse(f, out _)));
    }

    [Fact]
    public async Task A_tenant_sharing_a_limited_address_is_resolved_again_when_its_cache_entry_expires()
    {
        using var gateway = env.NewGateway(new Dictionary<string, string?>
        {
            ["Gateway:FailedCallLimit"] = "3",
            ["Gateway:FailedCallWindow"] = "00:01:00",
            ["Gateway:KeyCacheDuration"] = "00:00:00",
        });
        var (_, good) = env.ControlPlane.AddKey("sharer");
        using var tenant = gateway.Client(good);
        using var attacker = gateway.Client();
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/v1/models")).StatusCode);
        for (var i = 0; i < 4; i++)
        {
            await GuessAsync(attacker);
        }
        await Problem.AssertAsync(await GuessAsync(attacker), HttpStatusCode.TooManyRequests);
        var lookups = env.ControlPlane.ResolveCalls;

        var again = await tenant.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(env.ControlPlane.ResolveCalls > lookups, "the expired entry must be resolved afresh, not served stale");
    }

    [Fact]
    public async Task Over_limit_answers_are_held_back_but_never_more_than_the_bound_at_once()
    {
        using var gateway = env.NewGateway(new Dictionary<string, string?>
        {
            ["Gateway:FailedCallLimit"] = "1",
            ["Gateway:FailedCallWindow"] = "00:01:00",
            ["Gateway:FailedCallHold"] = "00:00:10",
            ["Gateway:MaxHeldCalls"] = "2",
        });
        using var client = gateway.Client();
        await Problem.AssertAsync(await GuessAsync(client), HttpStatusCode.Unauthorized);

        var calls = Enumerable.Range(0, 5).Select(_ => GuessAsync(client)).ToList();
        var answered = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 3; i++)
        {
            var next = await Task.WhenAny(calls.Except(answered));
            answered.Add(next);
        }

        // Three were answered at once although the hold is 10 s: only two may be held at a time.
        Assert.All(answered, t => Assert.Equal(HttpStatusCode.TooManyRequests, t.Result.StatusCode));
        Assert.Equal(2, calls.Count(c => !c.IsCompleted));
        Assert.All(await Task.WhenAll(calls), r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
    }

    private static async Task<HttpResponseMessage> GuessAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + StandInControlPlane.RandomKey());
        return await client.SendAsync(request);
    }

    /// <summary>A client whose connections leave from another loopback address (Linux routes all of 127/8 to lo).</summary>
    private HttpClient ClientFrom(IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = _gateway.Address };
    }

    public void Dispose() => _gateway.Dispose();
}
