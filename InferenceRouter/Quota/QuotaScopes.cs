using AgentCloud.Platform.Budgets;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>The budgets that apply to one call, all reserved or none.</summary>
public static class QuotaScopes
{
    /// <summary>
    /// Keys carry the tenant in a hash tag (<c>{t:acme}</c>) so a tenant's budgets live together and never
    /// without its prefix; the platform's endpoint limits have their own tag.
    /// </summary>
    public static IReadOnlyList<QuotaScope> For(string tenantId, long tokensPerMinute, long monthlyQuota, DateTimeOffset now,
        string? runId = null, long runLimit = 0, string? endpoint = null, long endpointTokensPerMinute = 0, string? principal = null, long keyTokensPerMinute = 0,
        string? projectId = null, long projectTokensPerMinute = 0, PeriodBudgets? budgets = null)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        var minuteEnd = DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60);
        var monthStart = BudgetPeriod.Month.Start(now);
        var scopes = new List<QuotaScope>();
        var tag = $"{{t:{tenantId}}}";
        if (tokensPerMinute > 0)
        {
            scopes.Add(new QuotaScope("tokens per minute", $"{tag}:tpm:{minute}", tokensPerMinute, minuteEnd));
        }
        if (monthlyQuota > 0)
        {
            scopes.Add(new QuotaScope("monthly token quota", $"{tag}:month:{monthStart:yyyyMM}", monthlyQuota, monthStart.AddMonths(1))
            {
                Period = BudgetPeriod.Month, WindowStart = monthStart, AlertThresholds = PeriodBudgets.DefaultAlertThresholds,
            });
        }
        if (runId is not null && runLimit > 0)
        {
            scopes.Add(new QuotaScope("run token budget", $"{tag}:run:{runId}", runLimit, now.AddDays(1)) { Level = QuotaLevel.Run, Subject = runId });
        }
        if (principal is not null && keyTokensPerMinute > 0)
        {
            scopes.Add(new QuotaScope("key tokens per minute", $"{tag}:principal:{principal}:tpm:{minute}", keyTokensPerMinute, minuteEnd)
            {
                Level = QuotaLevel.Key, Subject = KeyIdOf(principal),
            });
        }
        if (principal is not null && budgets is { KeyMicrodollars: > 0 })
        {
            // Counted under the key whose budget it is: a run key's calls land in its creator's.
            var owner = budgets.KeyBudgetOwner ?? KeyIdOf(principal);
            scopes.Add(Period($"{tag}:key:{owner}", "key", budgets.KeyPeriod, QuotaUnit.Microdollars, budgets.KeyMicrodollars, now,
                QuotaLevel.Key, owner, PeriodBudgets.DefaultAlertThresholds));
        }
        if (projectId is not null && projectTokensPerMinute > 0)
        {
            scopes.Add(new QuotaScope("project tokens per minute", $"{tag}:project:{projectId}:tpm:{minute}", projectTokensPerMinute, minuteEnd)
            {
                Level = QuotaLevel.Project, Subject = projectId,
            });
        }
        if (projectId is not null && budgets is not null)
        {
            var thresholds = budgets.ProjectAlertThresholds ?? PeriodBudgets.DefaultAlertThresholds;
            if (budgets.ProjectTokens > 0)
            {
                scopes.Add(Period($"{tag}:project:{projectId}", "project", budgets.ProjectPeriod, QuotaUnit.Tokens, budgets.ProjectTokens, now,
                    QuotaLevel.Project, projectId, thresholds));
            }
            if (budgets.ProjectMicrodollars > 0)
            {
                scopes.Add(Period($"{tag}:project:{projectId}", "project", budgets.ProjectPeriod, QuotaUnit.Microdollars, budgets.ProjectMicrodollars, now,
                    QuotaLevel.Project, projectId, thresholds));
            }
        }
        if (endpoint is not null && endpointTokensPerMinute > 0)
        {
            scopes.Add(new QuotaScope("endpoint tokens per minute", $"{{platform}}:endpoint:{endpoint}:tpm:{minute}", endpointTokensPerMinute, minuteEnd)
            {
                Level = QuotaLevel.Platform,
            });
        }
        return scopes;
    }

    /// <summary>
    /// A budget per day, week or month: e.g. <c>project dollars per day</c>, counted under a key naming the period's start,
    /// so the next period starts from zero.
    /// </summary>
    private static QuotaScope Period(string owner, string level, BudgetPeriod period, QuotaUnit unit, long limit, DateTimeOffset now,
        QuotaLevel quotaLevel, string subject, IReadOnlyList<int> thresholds)
    {
        var start = period.Start(now);
        var what = unit == QuotaUnit.Microdollars ? "dollars" : "tokens";
        return new QuotaScope($"{level} {what} per {period.Name()}", $"{owner}:{(unit == QuotaUnit.Microdollars ? "usd" : "tok")}:{period.Name()}:{start:yyyyMMdd}",
            limit, period.End(now))
        {
            Unit = unit, Level = quotaLevel, Period = period, WindowStart = start, Subject = subject, AlertThresholds = thresholds,
        };
    }

    /// <summary>A key principal is <c>key:&lt;key id&gt;</c>; anything else is named as it is.</summary>
    private static string KeyIdOf(string principal) => principal.StartsWith("key:", StringComparison.Ordinal) ? principal[4..] : principal;
}
