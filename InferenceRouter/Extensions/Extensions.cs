using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Dispatch;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.InferenceRouter.Quota;
using AgentCloud.InferenceRouter.Scheduling;
using AgentCloud.InferenceRouter.Usage;
using AgentCloud.Platform.Outbox;
using AgentCloud.Platform.Startup;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Extensions;

internal static class Extensions
{
    public const string RedisTracingOffSetting = "Aspire:StackExchange:Redis:DisableTracing";

    /// <summary>Registers what this service depends on; each client adds a health check, so /health is ready only when they answer.</summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // A trace span per Redis command costs more than the command on this hot path; set the Aspire setting to false to have them.
        // Redis answers are completed on the .NET thread pool rather than the client's own ten threads: one thread hop fewer
        // per round trip (the usage event's wait at concurrency 1 went from about 0.3 to 0.2 ms in Bench.Router).
        builder.AddRedisClient("redis", s => s.DisableTracing = builder.Configuration.GetValue(RedisTracingOffSetting, true),
            o => o.SocketManager = StackExchange.Redis.SocketManager.ThreadPool);
        builder.Services.AddRedisConnectedBeforeListening(); // a restarted copy joins the rotation able to reserve and bill
        builder.AddTenantPolicyClient();
        builder.Services.AddOptions<InferenceRouterOptions>()
            .BindConfiguration(InferenceRouterOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<PromptTokenCounter>();
        builder.Services.AddSingleton<EndpointLoad>();
        builder.Services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PlacedCalls>();
        builder.Services.AddSingleton<CacheAwarePool>();
        builder.Services.AddSingleton<PrefixRoutingKey>();
        builder.Services.AddSingleton<RoutingTelemetry>();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<InferenceRouterOptions>>().Value;
            return new EndpointCatalogue(o.Endpoints.Select(e => UpstreamEndpoint.From(e, o.UpstreamApiKey)).ToList(), sp.GetRequiredService<EndpointLoad>(),
                sp.GetRequiredService<CacheAwarePool>());
        });
        builder.Services.AddSingleton<CacheSaltDeriver>();
        builder.Services.AddSingleton<UsageRecorder>();
        builder.Services.AddSingleton<TokenLedger>();
        builder.Services.AddSingleton<ProvisionalLedger>();
        builder.Services.AddHostedService<LedgerReconciler>();
        builder.Services.AddStreamOutbox();
        builder.Services.AddSingleton<CallSettlement>();
        builder.Services.AddSingleton<BudgetAlerts>();
        builder.Services.AddOptions<BurndownOptions>().BindConfiguration(BurndownOptions.SectionName);
        builder.Services.AddOptions<RouterPriceOptions>().BindConfiguration(RouterPriceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<FairSchedulerOptions>().BindConfiguration(EndpointSchedulers.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ReplicaShareOptions>().BindConfiguration(ReplicaShareOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SharedCapacityStore>();
        builder.Services.AddSingleton<EndpointSchedulers>();
        builder.Services.AddHostedService<ReplicaCapacitySync>();
        builder.Services.AddSingleton<UpstreamClient>();
        // Inference is not idempotent and streams can be long: no retries, no hedging, no overall timeout.
#pragma warning disable EXTEXP0001 // the supported way to opt one client out of the defaults' resilience handler
        // One long-lived pool of kept-alive connections per endpoint (recycled every few minutes so DNS changes are seen),
        // rather than a handler replaced every two minutes; no per-request log scopes (the router logs upstream failures itself).
        builder.Services.AddHttpClient(UpstreamClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                UseCookies = false, // a Set-Cookie from an upstream must never ride on another tenant's call
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.AddAdmissionPipeline();
    }

    /// <summary>The order is the policy: who you are, what you may use, how much, then where it runs and how it is cached.</summary>
    private static void AddAdmissionPipeline(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IAdmissionStep, PolicyStep>();
        builder.Services.AddSingleton<IAdmissionStep, EntitlementStep>();
        builder.Services.AddSingleton<IAdmissionStep, ContextLengthStep>();
        builder.Services.AddSingleton<IAdmissionStep, PlacementStep>();
        builder.Services.AddSingleton<IAdmissionStep, QuotaStep>();
        builder.Services.AddSingleton<IAdmissionStep, SchedulingStep>();
        builder.Services.AddSingleton<IAdmissionStep, CacheSaltStep>();
        builder.Services.AddSingleton<AdmissionPipeline>();
    }
}
