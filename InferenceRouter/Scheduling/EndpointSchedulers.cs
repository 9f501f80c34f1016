using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>One fair scheduler per shared endpoint, made on first use with the configured bounds.</summary>
public sealed class EndpointSchedulers(IOptions<FairSchedulerOptions> options, TimeProvider time, IMeterFactory meters)
{
    public const string SectionName = "InferenceRouter:Scheduler";

    private readonly ConcurrentDictionary<string, FairScheduler> _schedulers = new(StringComparer.Ordinal);
    private readonly Meter _meter = meters.Create("AgentCloud.InferenceRouter.Scheduler");

    public FairScheduler For(string endpoint) =>
        _schedulers.GetOrAdd(endpoint, name => new FairScheduler(options.Value, time, _meter, name));
}
