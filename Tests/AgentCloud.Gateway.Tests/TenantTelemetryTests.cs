using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using AgentCloud.Gateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// The caller's tenant is on the Gateway's root span and on its request-duration metric under <c>tenant.id</c>, the key
/// the services use; a caller the Gateway did not authenticate names no tenant.
/// </summary>
public sealed class TenantTelemetryTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _gateway = env.NewGateway();

    [Fact]
    public async Task A_tenants_call_carries_its_tenant_on_the_root_span_and_the_request_metric()
    {
        var tenant = "t_telemetry_" + Guid.NewGuid().ToString("N")[..8];
        var (_, key) = env.ControlPlane.AddKey(tenant);
        var spans = new ConcurrentQueue<Activity>();
        using var spanListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(spanListener);
        var measured = new ConcurrentQueue<string?>();
        using var meterListener = new MeterListener();
        var factory = _gateway.Services.GetRequiredService<IMeterFactory>();
        meterListener.InstrumentPublished = (i, l) =>
        {
            if (i.Name == "http.server.request.duration" && ReferenceEquals(i.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(i);
            }
        };
        meterListener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == TenantTelemetryMiddleware.TenantTag) measured.Enqueue(tag.Value as string);
            }
        });
        meterListener.Start();
        using var client = _gateway.Client(key);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/sandboxes")).StatusCode);
        using var anonymous = _gateway.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/sandboxes")).StatusCode);

        // The server records both after answering; wait for them (bounded), never on a clock.
        for (var i = 0; i < 200 && (measured.IsEmpty || !spans.Any(s => s.GetTagItem("tenant.id") as string == tenant)); i++)
        {
            await Task.Delay(10);
        }
        Assert.Contains(tenant, measured);
        Assert.Single(measured, m => m == tenant);
        Assert.Contains(spans, s => s.GetTagItem(TenantTelemetryMiddleware.TenantTag) as string == tenant && s.Parent is null);
    }

    public void Dispose() => _gateway.Dispose();
}
