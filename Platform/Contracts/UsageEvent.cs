using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// One unit of metered work, written by the InferenceRouter and the SandboxBroker to the Redis Stream
/// <see cref="StreamName"/> and consumed exactly once by the UsageAggregator. Redis is the transport, never the record.
/// </summary>
public sealed record UsageEvent
{
    public const string StreamName = "usage-events";

    /// <summary>
    /// The one field an entry carries: the event as compact JSON. One field rather than one a property keeps the
    /// stream cheap to write and read (Redis and its clients pay per field); entries with a field a property, as
    /// earlier producers wrote them, are still read.
    /// </summary>
    public const string EncodedField = "event";

    /// <summary>A tool call through the MCP gateway: resource is <c>tool:/// <summary>A tool call through the MCP gateway: resource is the tool, <see cref="SandboxSeconds"/> the seconds it ran.</summary>lt;name/// <summary>A tool call through the MCP gateway: resource is the tool, <see cref="SandboxSeconds"/> the seconds it ran.</summary>gt;</c>, <see cref="SandboxSeconds"/> the seconds it ran.</summary>
    public const string ToolKind = "tool";

    /// <summary>Unique per unit of work; the aggregator deduplicates on it.</summary>
    public required string EventId { get; init; }
    public required string TenantId { get; init; }
    public required string Principal { get; init; }
    public string? RunId { get; init; }

    /// <summary>The project of the calling key (inference, sandbox and tool events); absent for a key of no project and from earlier producers.</summary>
    public string? ProjectId { get; init; }

    /// <summary><c>inference</c>, <c>embedding</c>, <c>sandbox</c> or <c>tool</c>.</summary>
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
    /// <summary>Seconds of execution: a sandbox's, or for kind <c>tool</c> the seconds the tool call ran.</summary>
    public double SandboxSeconds { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public long DurationMs { get; init; }

    /// <summary><c>ok</c>, <c>error</c> or <c>aborted</c>.</summary>
    public string Status { get; init; } = "ok";

    public IReadOnlyList<KeyValuePair<string, string>> ToStreamFields() =>
        [new(EncodedField, JsonSerializer.Serialize(this, UsageEventJson.Default.UsageEvent))];

    /// <summary>The event as one field a property (the earlier stream format, still accepted by <see cref="FromStreamFields"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToLegacyStreamFields()
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

    /// <summary>Reads an event from an entry's fields in either format; on anything missing or malformed returns null and says why.</summary>
    public static UsageEvent? FromStreamFields(IReadOnlyDictionary<string, string> f, out string? problem)
    {
        return f.TryGetValue(EncodedField, out var json) ? FromEncoded(Encoding.UTF8.GetBytes(json), out problem) : TryParse(f, out problem);
    }

    /// <summary>Reads the <see cref="EncodedField"/> of an entry straight from its UTF-8 bytes (the aggregator's hot path).</summary>
    public static UsageEvent? FromEncoded(ReadOnlySpan<byte> utf8Json, out string? problem)
    {
        UsageEvent? e;
        try
        {
            e = JsonSerializer.Deserialize(utf8Json, UsageEventJson.Default.UsageEvent);
        }
        catch (JsonException ex)
        {
            problem = $"field '{EncodedField}' is not a usage event: {ex.Message}";
            return null;
        }
        problem = e is null ? $"field '{EncodedField}' is null"
            : Blank(e.EventId) ? "missing field 'eventId'"
            : Blank(e.TenantId) ? "missing field 'tenantId'"
            : Blank(e.Principal) ? "missing field 'principal'"
            : Blank(e.Kind) ? "missing field 'kind'"
            : Blank(e.Resource) ? "missing field 'resource'"
            : e.InputTokens < 0 ? $"field 'inputTokens' must be a non-negative integer, not '{e.InputTokens}'"
            : e.CachedInputTokens < 0 ? $"field 'cachedInputTokens' must be a non-negative integer, not '{e.CachedInputTokens}'"
            : e.OutputTokens < 0 ? $"field 'outputTokens' must be a non-negative integer, not '{e.OutputTokens}'"
            : e.WeightedTokens < 0 ? $"field 'weightedTokens' must be a non-negative integer, not '{e.WeightedTokens}'"
            : e.DurationMs < 0 ? $"field 'durationMs' must be a non-negative integer, not '{e.DurationMs}'"
            : e.SandboxSeconds < 0 || !double.IsFinite(e.SandboxSeconds) ? $"field 'sandboxSeconds' must be a non-negative number, not '{e.SandboxSeconds}'"
            : e.Kind is not ("inference" or "embedding" or "sandbox" or ToolKind) ? $"field 'kind' must be inference, embedding, sandbox or tool, not '{e.Kind}'"
            : null;
        return problem is null ? e! with { Status = string.IsNullOrEmpty(e.Status) ? "ok" : e.Status } : null;
    }

    private static bool Blank(string? s) => string.IsNullOrWhiteSpace(s);

    /// <summary>Reads an event from one field a property (the earlier format); on anything missing or malformed returns null and says why.</summary>
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
        if (kind is not null and not ("inference" or "embedding" or "sandbox" or ToolKind))
        {
            error ??= $"field 'kind' must be inference, embedding, sandbox or tool, not '{kind}'";
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

/// <summary>Compiled JSON for the stream: no reflection on the hot path of every producer and the aggregator.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UsageEvent))]
internal sealed partial class UsageEventJson : JsonSerializerContext;
