using AgentCloud.ServiceDefaults.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every AgentCloud service shares: telemetry, health, service discovery, resilient HTTP clients,
/// problem+json errors and (for services behind the Gateway) tenant-context validation.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>Adds telemetry, health checks, service discovery, resilience and problem details.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // A POST or PATCH retried blindly can be served and billed twice (an embedding, a sandbox create): only
            // calls that are safe to repeat are retried; the others carry an Idempotency-Key where it matters.
            http.AddStandardResilienceHandler(o => o.Retry.DisableFor(HttpMethod.Post, HttpMethod.Patch, HttpMethod.Connect));
            http.AddServiceDiscovery();
        });
        // The one clock of every service (tests put a fake one in its place).
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<AgentCloud.ServiceDefaults.Faults.RefusalExceptionHandler>();
        return builder;
    }

    /// <summary>
    /// Adds validation of the Gateway-signed tenant context. Every request except health endpoints must
    /// carry a valid context; the middleware is <see cref="AgentCloud.ServiceDefaults.Tenancy.TenantContextMiddleware"/>.
    /// </summary>
    public static TBuilder AddTenantContextValidation<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var applicationName = builder.Environment.ApplicationName;
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"];
        builder.Services.AddOptions<TenantContextOptions>()
            .BindConfiguration(TenantContextOptions.SectionName)
            .PostConfigure(o => o.Audience = string.IsNullOrWhiteSpace(o.Audience)
                ? AgentCloud.Platform.Contracts.ServiceNames.ForApplication(applicationName) ?? (string.IsNullOrWhiteSpace(serviceName) ? null : serviceName)
                : o.Audience)
            .Validate(o => o.Audience is not null, "TenantContext:Audience is not set and the service's name is not known: set it to the service's name.")
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHttpClient(JwksKeySource.HttpClientName);
        builder.Services.AddSingleton<JwksKeySource>();
        builder.Services.AddHostedService<JwksWarmUp>();
        builder.Services.AddSingleton<TenantContextValidator>();
        builder.Services.TryAddSingleton<IHealthDetailsGate, OperatorHealthDetailsGate>();
        return builder;
    }

    /// <summary>
    /// Adds <see cref="AgentCloud.Platform.Contracts.ITenantPolicySource"/>: the tenant's policy from the
    /// ControlPlane (through service discovery), asked with the caller's own context.
    /// </summary>
    public static TBuilder AddTenantPolicyClient<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        AgentCloud.Platform.ControlPlane.ControlPlaneClientServiceCollectionExtensions.AddControlPlaneClient(builder.Services);
        builder.Services.AddSingleton<AgentCloud.Platform.Contracts.TenantPolicyClient>();
        builder.Services.AddSingleton<AgentCloud.Platform.Contracts.ITenantPolicySource>(sp =>
            sp.GetRequiredService<AgentCloud.Platform.Contracts.TenantPolicyClient>());
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("AgentCloud.*"));
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Spans that no exporter sends are pure cost on every call (two or three per proxied request): record them only when exported.
            return builder;
        }
        telemetry.WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("AgentCloud.*")
                .AddAspNetCoreInstrumentation(o =>
                    o.Filter = ctx => !ctx.Request.Path.StartsWithSegments(HealthEndpointPath)
                                      && !ctx.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());
        builder.Services.AddOpenTelemetry().UseOtlpExporter();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check must pass: the service is ready only when its dependencies answer)
    /// and <c>/alive</c> (the process is up). Both answer JSON with each check's description.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("live"),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        return app;
    }

    /// <summary>
    /// Adds the error pipeline (problem+json for every failure) and, when tenant-context validation was
    /// added, refuses every call without a valid Gateway-signed context (health endpoints aside).
    /// </summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        AgentCloud.ServiceDefaults.ServedByHeader.UseServedByHeader(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (app.Services.GetService<TenantContextValidator>() is not null)
        {
            app.UseMiddleware<TenantContextMiddleware>();
        }
        return app;
    }

    internal static bool IsHealthPath(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments(HealthEndpointPath) || path.StartsWithSegments(AlivenessEndpointPath);
}
