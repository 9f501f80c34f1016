using AgentCloud.Platform.Budgets;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>What period budgets of projects and keys may be: the checks of their bodies, each answering the refusal's detail or null.</summary>
public static class BudgetValidation
{
    /// <summary>USD 10 million: in micro-dollars, times 100 for a threshold, still exact in the ledger's Lua numbers (below 2^53).</summary>
    public const decimal MaxDollars = 10_000_000m;

    /// <summary>10^13 weighted tokens, for the same reason.</summary>
    public const long MaxTokens = 10_000_000_000_000;

    public const int MaxThresholds = 10;

    public static string? RefusePeriod(string? period, string field) =>
        period is null || BudgetPeriods.TryParse(period, out _) ? null : $"'{field}' must be one of {string.Join(", ", BudgetPeriods.Names)} (UTC; weeks start on Monday).";

    /// <summary>A positive amount of at most six decimals (micro-dollars); 0 too when <paramref name="zeroRemoves"/>.</summary>
    public static string? RefuseDollars(decimal? dollars, string field, bool zeroRemoves) =>
        dollars is not { } d ? null
        : d < 0 || (d == 0 && !zeroRemoves) || d > MaxDollars || decimal.Round(d, 6) != d
            ? $"'{field}' is US dollars per period: a positive number of at most six decimals and at most {MaxDollars:0}{(zeroRemoves ? ", or 0 to remove it" : ", or absent for none")}."
            : null;

    public static string? RefuseTokens(long? tokens, string field, bool zeroRemoves) =>
        tokens is not { } t ? null
        : t < 0 || (t == 0 && !zeroRemoves) || t > MaxTokens
            ? $"'{field}' is weighted tokens per period: a positive number up to {MaxTokens}{(zeroRemoves ? ", or 0 to remove it" : ", or absent for none")}."
            : null;

    public static string? RefuseThresholds(IReadOnlyList<int>? thresholds) =>
        thresholds is null || (thresholds.Count <= MaxThresholds && thresholds.All(t => t is >= 1 and <= 100) && thresholds.Distinct().Count() == thresholds.Count)
            ? null
            : $"'alertThresholds' lists at most {MaxThresholds} distinct percents of each budget, each 1 to 100 (e.g. [80, 100]); [] for no alerts.";

    /// <summary>The canonical period name (lower case), or the default month.</summary>
    public static string PeriodName(string? period) => BudgetPeriods.TryParse(period, out var p) ? p.Name() : BudgetPeriod.Month.Name();

    public static BudgetPeriod Period(string? period) => BudgetPeriods.TryParse(period, out var p) ? p : BudgetPeriod.Month;
}
