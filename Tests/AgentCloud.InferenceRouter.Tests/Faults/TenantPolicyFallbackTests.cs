using System.Net;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.ControlPlane;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Faults;

/// <summary>
/// Found by the fault suite: with the ControlPlane (or its Postgres) down, every chat waited out the HTTP retry
/// handler's backoff for the tenant's policy and answered after more than 2 s. A policy read now has a budget and
/// falls back to the last policy read, for a bounded time; without one the failure reaches the caller (a 503).
/// </summary>
public sealed class TenantPolicyFallbackTests
{
    private sealed class ScriptedControlPlane : HttpMessageHandler
    {
        public Func<CancellationToken, Task<HttpResponseMessage>> Answer { get; set; } = _ => throw new HttpRequestException("no answer scripted");

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Answer(cancellationToken);
    }

    private sealed class Factory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false) { BaseAddress = new Uri("http://controlplane") };
    }

    private readonly ScriptedControlPlane _controlPlane = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly TenantPolicyClient _client;

    public TenantPolicyFallbackTests() => _client = new TenantPolicyClient(new ControlPlaneClient(new Factory(_controlPlane)), new HttpContextAccessor(), _time);

    private static HttpResponseMessage Policy(string tier) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(JsonSerializer.Serialize(new TenantPolicy { TenantId = "t_a", Tier = tier }, JsonSerializerOptions.Web), System.Text.Encoding.UTF8, "application/json"),
    };

    [Fact]
    public async Task A_controlplane_that_fails_after_a_read_gets_the_last_policy_for_a_bounded_time()
    {
        var caller = TestTenantContexts.Tenant("t_a");
        _controlPlane.Answer = _ => Task.FromResult(Policy("pro"));
        Assert.Equal("pro", (await _client.GetAsync(caller, CancellationToken.None))!.Tier);

        _controlPlane.Answer = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("pro", (await _client.GetAsync(caller, CancellationToken.None))!.Tier);

        _time.Advance(TenantPolicyClient.StaleFor);
        await Assert.ThrowsAsync<HttpRequestException>(() => _client.GetAsync(caller, CancellationToken.None));
    }

    [Fact]
    public async Task A_controlplane_that_never_answers_a_tenant_never_read_fails_the_read_at_its_budget()
    {
        _controlPlane.Answer = async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return Policy("pro");
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.GetAsync(TestTenantContexts.Tenant("t_new"), CancellationToken.None));
    }

    [Fact]
    public async Task A_removed_tenant_is_not_served_from_the_stale_policy()
    {
        var caller = TestTenantContexts.Tenant("t_a");
        _controlPlane.Answer = _ => Task.FromResult(Policy("pro"));
        await _client.GetAsync(caller, CancellationToken.None);

        _controlPlane.Answer = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Null(await _client.GetAsync(caller, CancellationToken.None));
    }
}
