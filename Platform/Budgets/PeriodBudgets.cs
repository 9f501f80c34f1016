namespace AgentCloud.Platform.Budgets;

/// <summary>
/// The period budgets a call of a key draws on beyond the per-minute ones: its project's weighted tokens and dollars per
/// period (with the project's alert thresholds) and the key's own dollar budget. Dollars travel as whole micro-dollars
/// (USD 1 = 1,000,000), so the router's ledger adds them exactly. 0: no such budget. <see cref="KeyBudgetOwner"/> is the key
/// whose dollar budget it is when not the calling key's own (a run key draws on its creator's).
/// </summary>
public sealed record PeriodBudgets(
    long ProjectTokens = 0,
    long ProjectMicrodollars = 0,
    BudgetPeriod ProjectPeriod = BudgetPeriod.Month,
    IReadOnlyList<int>? ProjectAlertThresholds = null,
    long KeyMicrodollars = 0,
    BudgetPeriod KeyPeriod = BudgetPeriod.Month,
    string? KeyBudgetOwner = null)
{
    /// <summary>Alert at 80 % and at 100 % unless a budget says otherwise.</summary>
    public static readonly IReadOnlyList<int> DefaultAlertThresholds = [80, 100];

    public const decimal MicrodollarsPerDollar = 1_000_000m;

    public bool IsEmpty => ProjectTokens <= 0 && ProjectMicrodollars <= 0 && KeyMicrodollars <= 0;

    /// <summary>Whole micro-dollars of a dollar amount, rounded down (a budget never grows by rounding).</summary>
    public static long ToMicrodollars(decimal dollars) => (long)decimal.Floor(dollars * MicrodollarsPerDollar);

    public static decimal ToDollars(long microdollars) => microdollars / MicrodollarsPerDollar;
}
