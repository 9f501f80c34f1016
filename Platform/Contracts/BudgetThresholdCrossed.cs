using System.Text.Json;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// A budget passed one of its alert thresholds (e.g. 80 % of a project's dollars this day). The InferenceRouter writes
/// it, through the stream outbox, to <see cref="StreamName"/> when a settle takes the budget across the threshold; the
/// ControlPlane appends it to the tenant's audit log and delivers it to the tenant's webhook. <see cref="AlertId"/>
/// names the budget, its period and the threshold, so a crossing seen twice (a late settle, a replayed outbox line)
/// is still delivered once.
/// </summary>
public sealed record BudgetThresholdCrossed
{
    public const string StreamName = "budget-alerts";

    /// <summary>The one field an entry carries: the event as compact JSON.</summary>
    public const string EncodedField = "event";

    /// <summary><c>{tenant}:{budget key}:{threshold}</c>: unique per budget, period and threshold.</summary>
    public required string AlertId { get; init; }
    public required string TenantId { get; init; }

    /// <summary><c>tenant</c>, <c>project</c>, <c>key</c> or <c>run</c>.</summary>
    public required string Level { get; init; }

    /// <summary>What the budget is, as a refusal names it (e.g. <c>project dollars per day</c>).</summary>
    public required string Budget { get; init; }
    public string? ProjectId { get; init; }
    public string? KeyId { get; init; }

    /// <summary><c>tokens</c> (weighted) or <c>usd</c>.</summary>
    public required string Unit { get; init; }

    /// <summary>The period the budget counts in: <c>day</c>, <c>week</c>, <c>month</c> (UTC, ISO weeks).</summary>
    public required string Period { get; init; }
    public required DateTimeOffset PeriodStart { get; init; }
    public required DateTimeOffset PeriodEnd { get; init; }

    /// <summary>The threshold crossed, in percent of <see cref="Limit"/> (e.g. 80, 100).</summary>
    public required int ThresholdPercent { get; init; }
    public required decimal Limit { get; init; }

    /// <summary>What the budget had used right after the crossing settle.</summary>
    public required decimal Used { get; init; }
    public required DateTimeOffset At { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Encode() => JsonSerializer.Serialize(this, Json);

    /// <summary>The event an entry's field holds, or null when it is not one (a foreign or damaged entry).</summary>
    public static BudgetThresholdCrossed? Decode(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<BudgetThresholdCrossed>(encoded, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
