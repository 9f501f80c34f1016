namespace AgentCloud.InferenceRouter.Quota;

/// <summary>
/// One budget a call must fit: a tenant's tokens this minute, its tokens this month, a run's share, the calling
/// key's own tokens this minute, its project's tokens this minute, or a platform-wide limit per endpoint. <paramref name="Key"/> names its Redis keys; the window ends at <paramref name="WindowEnd"/>.
/// </summary>
public sealed record QuotaScope(string Name, string Key, long Limit, DateTimeOffset WindowEnd);

/// <summary>The budgets that apply to one call, all reserved or none.</summary>
public static class QuotaScopes
{
    /// <summary>
    /// Keys carry the tenant in a hash tag (<c>{t:acme}</c>) so a tenant's budgets live together and never
    /// without its prefix; the platform's endpoint limits have their own tag.
    /// </summary>
    public static IReadOnlyList<QuotaScope> For(string tenantId, long tokensPerMinute, long monthlyQuota, DateTimeOffset now,
        string? runId = null, long runLimit = 0, string? endpoint = null, long endpointTokensPerMinute = 0, string? principal = null, long keyTokensPerMinute = 0,
        string? projectId = null, long projectTokensPerMinute = 0)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        var minuteEnd = DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60);
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var scopes = new List<QuotaScope>();
        var tag = $"{{t:{tenantId}}}";
        if (tokensPerMinute > 0)
        {
            scopes.Add(new QuotaScope("tokens per minute", $"{tag}:tpm:{minute}", tokensPerMinute, minuteEnd));
        }
        if (monthlyQuota > 0)
        {
            scopes.Add(new QuotaScope("monthly token quota", $"{tag}:month:{monthStart:yyyyMM}", monthlyQuota, monthStart.AddMonths(1)));
        }
        if (runId is not null && runLimit > 0)
        {
            scopes.Add(new QuotaScope("run token budget", $"{tag}:run:{runId}", runLimit, now.AddDays(1)));
        }
        if (principal is not null && keyTokensPerMinute > 0)
        {
            scopes.Add(new QuotaScope("key tokens per minute", $"{tag}:principal:{principal}:tpm:{minute}", keyTokensPerMinute, minuteEnd));
        }
        if (projectId is not null && projectTokensPerMinute > 0)
        {
            scopes.Add(new QuotaScope("project tokens per minute", $"{tag}:project:{projectId}:tpm:{minute}", projectTokensPerMinute, minuteEnd));
        }
        if (endpoint is not null && endpointTokensPerMinute > 0)
        {
            scopes.Add(new QuotaScope("endpoint tokens per minute", $"{{platform}}:endpoint:{endpoint}:tpm:{minute}", endpointTokensPerMinute, minuteEnd));
        }
        return scopes;
    }
}
