using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform.Budgets;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>The period budgets a key's resolution carries to the Gateway (and so to the router's signed context).</summary>
public static class KeyBudgets
{
    /// <summary>What the router enforces for a key of <paramref name="project"/> with its own dollar budget (null when neither has any).</summary>
    public static PeriodBudgets? Of(Project? project, ApiKey key)
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
