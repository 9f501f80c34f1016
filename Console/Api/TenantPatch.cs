namespace AgentCloud.Console.Api;

/// <summary>The PATCH body of docs/api.md from the console's form: only what the operator filled in is sent (overrides merge).</summary>
public static class TenantPatch
{
    public static Dictionary<string, object> Of(TenantUpdate update)
    {
        var body = new Dictionary<string, object>();
        if (!string.IsNullOrWhiteSpace(update.Tier))
        {
            body["tier"] = update.Tier;
        }
        if (!string.IsNullOrWhiteSpace(update.Status))
        {
            body["status"] = update.Status;
        }
        if (update.SandboxIsolationLevels is { Count: > 0 } levels)
        {
            body["isolation"] = new Dictionary<string, object> { ["sandboxIsolationLevels"] = levels };
        }
        var policy = new Dictionary<string, object>();
        if (update.RequestsPerMinute is { } rpm)
        {
            policy["requestsPerMinute"] = rpm;
        }
        if (update.TokensPerMinute is { } tpm)
        {
            policy["tokensPerMinute"] = tpm;
        }
        if (policy.Count > 0)
        {
            body["policy"] = policy;
        }
        return body;
    }
}
