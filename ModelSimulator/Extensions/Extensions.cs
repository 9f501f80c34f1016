using System.Diagnostics.Metrics;
using AgentCloud.ModelSimulator.Inference;
using Microsoft.Extensions.Options;

namespace AgentCloud.ModelSimulator.Extensions;

internal static class Extensions
{
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorOptions>()
            .BindConfiguration(SimulatorOptions.SectionName)
            .PostConfigure(o =>
            {
                if (o.Models.Count == 0)
                {
                    o.Models.AddRange(SimulatorOptions.DefaultModels);
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<SimTokenizer>();
        builder.Services.AddSingleton(sp => new KvCacheMetrics(sp.GetRequiredService<IMeterFactory>(), Options(sp).InstanceName));
        builder.Services.AddSingleton(sp => new PrefixKvCache(Options(sp).CacheBlockTokens, Options(sp).CacheCapacityBlocks, sp.GetRequiredService<KvCacheMetrics>()));
        builder.Services.AddSingleton(sp => new InferenceSlots(Options(sp).Slots));
        builder.Services.AddSingleton(sp =>
        {
            var o = Options(sp);
            return new LatencyModel(o.BaseTtftMs, o.PrefillMsPerToken, o.CachedPrefillMsPerToken, o.TpotMs);
        });
        builder.Services.AddSingleton<ChatEngine>();
        builder.Services.AddSingleton<AnswerPlanner>();
    }

    private static SimulatorOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<SimulatorOptions>>().Value;
}
