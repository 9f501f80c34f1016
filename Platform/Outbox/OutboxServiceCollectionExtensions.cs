using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCloud.Platform.Outbox;

public static class OutboxServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="StreamOutbox"/> (options from section <c>Outbox</c>) and its <see cref="OutboxFlusher"/>,
    /// which replays a spool left by a previous run at start. Needs an <c>IConnectionMultiplexer</c>.
    /// </summary>
    public static IServiceCollection AddStreamOutbox(this IServiceCollection services)
    {
        // Bound only where there is configuration (benchmarks compose services without one).
        services.AddOptions<StreamOutboxOptions>()
            .Configure<IServiceProvider>((o, sp) => sp.GetService<IConfiguration>()?.GetSection(StreamOutboxOptions.SectionName).Bind(o))
            .ValidateDataAnnotations();
        services.TryAddSingleton<StreamOutbox>();
        services.AddHostedService<OutboxFlusher>();
        return services;
    }
}
