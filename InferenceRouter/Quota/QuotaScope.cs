using AgentCloud.Platform.Budgets;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>What a budget counts: weighted tokens, or whole micro-dollars at the model's price.</summary>
public enum QuotaUnit
{
    Tokens,
    Microdollars,
}

/// <summary>Whose budget it is; a refusal's problem type names the level.</summary>
public enum QuotaLevel
{
    Tenant,
    Project,
    Key,
    Run,
    Platform,
}

/// <summary>
/// One budget a call must fit: a tenant's tokens this minute, its tokens this month, a run's share, the calling
/// key's own tokens this minute or dollars this period, its project's tokens this minute or tokens and dollars this
/// period, or a platform-wide limit per endpoint. <paramref name="Key"/> names its Redis keys; the window ends at
/// <paramref name="WindowEnd"/> (its period's end for a period budget).
/// </summary>
public sealed record QuotaScope(string Name, string Key, long Limit, DateTimeOffset WindowEnd)
{
    public QuotaUnit Unit { get; init; } = QuotaUnit.Tokens;
    public QuotaLevel Level { get; init; } = QuotaLevel.Tenant;

    /// <summary>For a period budget: its period and start (alerts name them); null for a sliding or per-run budget.</summary>
    public BudgetPeriod? Period { get; init; }
    public DateTimeOffset WindowStart { get; init; }

    /// <summary>Percents of <see cref="Limit"/> whose crossing raises an alert, once per period; empty: none.</summary>
    public IReadOnlyList<int> AlertThresholds { get; init; } = [];

    /// <summary>The project id or key id the budget belongs to (for alerts); null for the tenant's own.</summary>
    public string? Subject { get; init; }

    /// <summary>A call's amount in this budget's unit.</summary>
    public long AmountOf(CallSpend spend) => Unit == QuotaUnit.Microdollars ? spend.Microdollars : spend.WeightedTokens;
}

/// <summary>What a call spends (or may spend at worst): weighted tokens, and micro-dollars at the model's price.</summary>
public readonly record struct CallSpend(long WeightedTokens, long Microdollars)
{
    public static CallSpend None => default;

    /// <summary>A spend in weighted tokens alone (a call of a model without a price, or a ledger of token budgets only).</summary>
    public static implicit operator CallSpend(long weightedTokens) => new(weightedTokens, 0);
}
