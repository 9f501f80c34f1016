using System.Globalization;
using AgentCloud.InferenceRouter.Quota;
using AgentCloud.Platform.Budgets;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// The 429 of a call that does not fit a budget: its problem type names the budget's level (the tenant's budgets keep
/// their original <c>token-budget-exceeded</c>), the detail names the budget and what it has left, and
/// <c>Retry-After</c> runs until its window or period resets.
/// </summary>
public static class BudgetRefusal
{
    public static string SlugOf(QuotaLevel level) => level switch
    {
        QuotaLevel.Project => "project-budget-exceeded",
        QuotaLevel.Key => "key-budget-exceeded",
        QuotaLevel.Run => "run-budget-exceeded",
        _ => "token-budget-exceeded",
    };

    private static string TitleOf(QuotaLevel level) => level switch
    {
        QuotaLevel.Project => "Project budget exceeded",
        QuotaLevel.Key => "Key budget exceeded",
        QuotaLevel.Run => "Run budget exceeded",
        _ => "Token budget exceeded",
    };

    public static Refusal For(QuotaScope refused, CallSpend worstCase, long remaining, TimeSpan retryAfter)
    {
        var when = refused.Period is { } period ? $"when the {period.Name()} resets ({refused.WindowEnd.UtcDateTime:yyyy-MM-dd HH:mm} UTC)" : "after the window";
        var detail = refused.Unit == QuotaUnit.Microdollars
            ? $"This call may cost up to {Usd(worstCase.Microdollars)}, but the {refused.Name} has {Usd(remaining)} left; retry {when} or lower max_tokens."
            : $"This call may use up to {worstCase.WeightedTokens} weighted tokens, but the {refused.Name} has {remaining} left; retry {when} or lower max_tokens.";
        return new Refusal(429, SlugOf(refused.Level), TitleOf(refused.Level), detail)
        {
            RetryAfter = retryAfter,
            RemainingTokens = refused.Unit == QuotaUnit.Tokens ? remaining : null,
        };
    }

    private static string Usd(long microdollars) => "USD " + PeriodBudgets.ToDollars(microdollars).ToString("0.######", CultureInfo.InvariantCulture);
}
