using AgentCloud.Gateway.Apis;
using AgentCloud.Gateway.Auth;
using AgentCloud.Gateway.Docs;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Gateway.Limits;
using AgentCloud.Gateway.Proxy;
using AgentCloud.Gateway.RateLimiting;
using AgentCloud.Gateway.Telemetry;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.UseMiddleware<RequestIdMiddleware>();
app.UseMiddleware<RequestLimitsMiddleware>();
app.UseMiddleware<CallerAuthenticationMiddleware>();
app.UseMiddleware<TenantTelemetryMiddleware>();
app.UseMiddleware<RouteCapabilityMiddleware>();
app.UseMiddleware<TenantRateLimitMiddleware>();
app.UseRateLimiter(); // the per-address limit of the key-less documentation
app.MapDefaultEndpoints();
app.MapJwksApi();
app.MapPublicApiDocs();
app.MapReverseProxy(proxy =>
{
    proxy.Use(UpstreamUnavailable.InvokeAsync);
    // The default proxy pipeline, which a custom one must name.
    proxy.UseSessionAffinity();
    proxy.UseLoadBalancing();
    proxy.UsePassiveHealthChecks();
});

app.Run();

public partial class Program;
