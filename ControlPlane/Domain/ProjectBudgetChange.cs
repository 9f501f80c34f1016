using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform.Budgets;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Budgets to set on a project (already validated): a budget 0 removes it, null leaves it; <see cref="Period"/> and
/// <see cref="AlertThresholds"/> null leave them (a new project: month, [80, 100]).
/// </summary>
public sealed record ProjectBudgetChange(long? TokensPerMinute = null, long? TokensPerPeriod = null, decimal? DollarsPerPeriod = null,
    string? Period = null, IReadOnlyList<int>? AlertThresholds = null)
{
    public bool IsEmpty => TokensPerMinute is null && TokensPerPeriod is null && DollarsPerPeriod is null && Period is null && AlertThresholds is null;

    public void ApplyTo(Project project)
    {
        if (TokensPerMinute is { } tpm)
        {
            project.TokensPerMinute = tpm == 0 ? null : tpm;
        }
        if (TokensPerPeriod is { } tokens)
        {
            project.TokensPerPeriod = tokens == 0 ? null : tokens;
        }
        if (DollarsPerPeriod is { } dollars)
        {
            project.DollarsPerPeriod = dollars == 0 ? null : dollars;
        }
        if (Period is not null)
        {
            project.Period = BudgetValidation.PeriodName(Period);
        }
        if (AlertThresholds is not null)
        {
            project.AlertThresholds = AlertThresholds.Order().ToList();
        }
    }

    /// <summary>What the router enforces for a key of <paramref name="project"/> with its own dollar budget (null when neither has any).</summary>
    public static PeriodBudgets? ForKey(Project? project, ApiKey key)
    {
        var budgets = new PeriodBudgets(
            ProjectTokens: project?.TokensPerPeriod ?? 0,
            ProjectMicrodollars: project?.DollarsPerPeriod is { } d ? PeriodBudgets.ToMicrodollars(d) : 0,
            ProjectPeriod: BudgetValidation.Period(project?.Period),
            ProjectAlertThresholds: project?.AlertThresholds,
            KeyMicrodollars: key.DollarBudget is { } k ? PeriodBudgets.ToMicrodollars(k) : 0,
            KeyPeriod: BudgetValidation.Period(key.DollarBudgetPeriod),
            KeyBudgetOwner: key.DollarBudget is null ? null : key.DollarBudgetKeyId);
        return budgets.IsEmpty ? null : budgets;
    }
}
