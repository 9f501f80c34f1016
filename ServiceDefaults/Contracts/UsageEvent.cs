using System.Globalization;

namespace AgentCloud.ServiceDefaults.Contracts;

/// <summary>
/// One unit of metered work, written by the InferenceRouter and the SandboxBroker to the Redis Stream
/// <see cref="StreamName"/> and consumed exactly once by the UsageAggregator. Redis is the transport, never the record.
/// </summary>
public sealed record UsageEvent
{
    public const string StreamName = "usage-events";

    /// <summary>Unique per unit of work; the aggregator deduplicates on it.</summary>
    public required string EventId { get; init; }
    public required string TenantId { get; init; }
    public required string Principal { get; init; }
    public string? RunId { get; init; }

    /// <summary><c>inference</c>, <c>embedding</c> or <c>sandbox</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The model id, or for sandboxes the isolation level (e.g. <c>sandbox:bubblewrap</c>).</summary>
    public required string Resource { get; init; }
    public string? Endpoint { get; init; }

    /// <summary><c>shared</c> or <c>dedicated</c>.</summary>
    public string? Placement { get; init; }
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long OutputTokens { get; init; }

    /// <summary>Tokens after the model's burndown multipliers, what quotas are charged.</summary>
    public long WeightedTokens { get; init; }
    public double SandboxSeconds { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public long DurationMs { get; init; }

    /// <summary><c>ok</c>, <c>error</c> or <c>aborted</c>.</summary>
    public string Status { get; init; } = "ok";

    public IReadOnlyList<KeyValuePair<string, string>> ToStreamFields()
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("eventId", EventId), new("tenantId", TenantId), new("principal", Principal), new("kind", Kind),
            new("resource", Resource), new("inputTokens", Num(InputTokens)), new("cachedInputTokens", Num(CachedInputTokens)),
            new("outputTokens", Num(OutputTokens)), new("weightedTokens", Num(WeightedTokens)),
            new("sandboxSeconds", SandboxSeconds.ToString("R", CultureInfo.InvariantCulture)),
            new("startedAt", StartedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
            new("durationMs", Num(DurationMs)), new("status", Status),
        };
        if (RunId is not null) fields.Add(new("runId", RunId));
        if (Endpoint is not null) fields.Add(new("endpoint", Endpoint));
        if (Placement is not null) fields.Add(new("placement", Placement));
        return fields;
    }

    /// <summary>Reads an event from stream fields; on anything missing or malformed returns null and says why.</summary>
    public static UsageEvent? TryParse(IReadOnlyDictionary<string, string> f, out string? problem)
    {
        string? error = null;
        string? Req(string name)
        {
            if (f.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v)) return v;
            error ??= $"missing field '{name}'";
            return null;
        }
        long Long(string name)
        {
            if (!f.TryGetValue(name, out var v)) return 0;
            if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0) return n;
            error ??= $"field '{name}' must be a non-negative integer, not '{v}'";
            return 0;
        }
        var id = Req("eventId");
        var tenant = Req("tenantId");
        var principal = Req("principal");
        var kind = Req("kind");
        var resource = Req("resource");
        var started = Req("startedAt");
        var input = Long("inputTokens");
        var cached = Long("cachedInputTokens");
        var output = Long("outputTokens");
        var weighted = Long("weightedTokens");
        var duration = Long("durationMs");
        double seconds = 0;
        if (f.TryGetValue("sandboxSeconds", out var s) && (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || seconds < 0 || !double.IsFinite(seconds)))
        {
            error ??= $"field 'sandboxSeconds' must be a non-negative number, not '{s}'";
        }
        long startedMs = 0;
        if (started is not null && !long.TryParse(started, NumberStyles.Integer, CultureInfo.InvariantCulture, out startedMs))
        {
            error ??= $"field 'startedAt' must be unix milliseconds, not '{started}'";
        }
        if (kind is not null and not ("inference" or "embedding" or "sandbox"))
        {
            error ??= $"field 'kind' must be inference, embedding or sandbox, not '{kind}'";
        }
        problem = error;
        if (error is not null)
        {
            return null;
        }
        return new UsageEvent
        {
            EventId = id!, TenantId = tenant!, Principal = principal!, Kind = kind!, Resource = resource!,
            RunId = f.GetValueOrDefault("runId"), Endpoint = f.GetValueOrDefault("endpoint"), Placement = f.GetValueOrDefault("placement"),
            InputTokens = input, CachedInputTokens = cached, OutputTokens = output, WeightedTokens = weighted,
            SandboxSeconds = seconds, StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(startedMs), DurationMs = duration,
            Status = f.GetValueOrDefault("status") ?? "ok",
        };
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);
}
