using AgentCloud.InferenceRouter.Admission;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Outbox;

namespace AgentCloud.InferenceRouter.Usage;

/// <summary>
/// Writes one usage event per dispatched request to the <c>usage-events</c> Redis Stream, whatever way it ended,
/// through the outbox: an event Redis does not take in time is spooled to disk and added later under its own id.
/// </summary>
public sealed class UsageRecorder(StreamOutbox outbox, PromptTokenCounter counter, TimeProvider time)
{
    /// <summary>Writes the call's event unless it was written already; returns it (null the second time).</summary>
    public async Task<UsageEvent?> RecordOnceAsync(UsageTally tally)
    {
        var usage = ClaimEvent(tally);
        if (usage is not null)
        {
            await PublishAsync(usage);
        }
        return usage;
    }

    /// <summary>
    /// The call's event if this caller is the first to claim it (null otherwise); publish it with <see cref="PublishAsync"/>.
    /// Split from the write so the settle of the token hold can run beside it rather than after it.
    /// </summary>
    public UsageEvent? ClaimEvent(UsageTally tally)
    {
        if (!tally.Claim())
        {
            return null;
        }
        var usage = ToEvent(tally);
        GenAiTelemetry.Tag(System.Diagnostics.Activity.Current, tally.Call, usage);
        return usage;
    }

    public Task PublishAsync(UsageEvent usage) => outbox.AddAsync(UsageEvent.StreamName, usage.ToStreamFields());

    public UsageEvent ToEvent(UsageTally tally)
    {
        var call = tally.Call;
        var input = tally.ReportedInput ?? call.InputTokens;
        var output = tally.ReportedOutput ?? (tally.StreamedText.Length == 0 ? 0 : counter.Count(tally.StreamedText));
        var now = time.GetUtcNow();
        return new UsageEvent
        {
            EventId = tally.EventId,
            TenantId = call.Context.TenantId,
            Principal = call.Context.Principal,
            RunId = call.Context.RunId,
            ProjectId = call.Context.ProjectId,
            Kind = call.Kind == InferenceKind.Chat ? "inference" : "embedding",
            Resource = call.Model,
            Endpoint = call.Route.Endpoint.Name,
            Placement = WireNames.Of(call.Route.Placement),
            InputTokens = input,
            CachedInputTokens = tally.ReportedCached,
            OutputTokens = output,
            WeightedTokens = call.Weigh(input, tally.ReportedCached, output),
            StartedAt = call.StartedAt,
            DurationMs = (long)Math.Max(0, (now - call.StartedAt).TotalMilliseconds),
            Status = tally.Status,
        };
    }
}
