using AgentCloud.ControlPlane.Infrastructure.Entities;

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
}
