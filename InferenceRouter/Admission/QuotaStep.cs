using AgentCloud.Platform.Contracts;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Quota;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Holds the call's worst case (prompt plus the most it may generate, weighted by the model's multipliers) in the
/// tenant's shared ledger before it runs; a call that does not fit is refused 429 with when the budget frees up.
/// When the ledger does not answer within its deadline, the tenant's <c>rateLimitFailMode</c> decides: <c>open</c>
/// holds the call in this router's provisional ledger, <c>closed</c> refuses it 503 with Retry-After.
/// </summary>
public sealed class QuotaStep(TokenLedger ledger, ProvisionalLedger provisional, IOptions<BurndownOptions> burndown, IOptions<RouterPriceOptions> prices,
    IOptions<InferenceRouterOptions> options, TimeProvider time, ILogger<QuotaStep> logger) : IAdmissionStep
{

    public async ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        call.Multipliers = burndown.Value.For(call.Model);
        var maxOutput = call.Kind == InferenceKind.Chat ? Math.Min(call.MaxTokens ?? DefaultOutput(call), options.Value.MaxOutputTokens) : 0;
        call.Price = prices.Value.For(call.Model);
        // The worst case bills every prompt token at the uncached price and the most it may generate at the output price.
        var worstCase = new CallSpend(call.Multipliers.Weigh(call.InputTokens, 0, maxOutput), call.Price?.Microdollars(call.InputTokens, 0, maxOutput) ?? 0);
        var policy = call.Policy;
        var scopes = QuotaScopes.For(call.Context.TenantId, policy.TokensPerMinute, policy.MonthlyTokenQuota, time.GetUtcNow(),
            runId: call.Context.RunId, runLimit: policy.RunTokenBudget, endpoint: call.Route.Endpoint.Name, endpointTokensPerMinute: call.Route.Endpoint.TokensPerMinute,
            principal: call.Context.Principal, keyTokensPerMinute: call.Context.KeyTokensPerMinute,
            projectId: call.Context.ProjectId, projectTokensPerMinute: call.Context.ProjectTokensPerMinute, budgets: call.Context.Budgets);
        var result = await ReserveAsync(call, scopes, worstCase, cancellationToken);
        if (result is null)
        {
            return new Refusal(503, "quota-store-unavailable", "Service unavailable",
                "The token ledger is not answering and this tenant's policy fails closed; retry shortly.")
            {
                RetryAfter = TimeSpan.FromSeconds(1),
            };
        }
        if (!result.Admitted)
        {
            return BudgetRefusal.For(result.RefusedBy!, worstCase, result.Remaining, result.RetryAfter);
        }
        call.Reservation = result.Reservation;
        call.RemainingTokens = TokenLedger.HeadlineScope(scopes) >= 0 ? result.Remaining : null;
        return null;
    }

    /// <summary>
    /// What a chat without <c>max_tokens</c> (every SDK's default) reserves: the tier's default output budget, at most what
    /// the context leaves after the prompt. The upstream is capped at the same figure, so the hold is never exceeded.
    /// </summary>
    private int DefaultOutput(InferenceCall call)
    {
        var budget = call.Policy.DefaultMaxOutputTokens > 0 ? call.Policy.DefaultMaxOutputTokens : options.Value.DefaultMaxOutputTokens;
        if (call.Entitlement is { } entitlement)
        {
            budget = Math.Min(budget, Math.Max(1, entitlement.MaxContextTokens - call.PromptTokens));
        }
        call.DefaultOutputCap = Math.Min(budget, options.Value.MaxOutputTokens);
        return call.DefaultOutputCap.Value;
    }

    /// <summary>The shared ledger's answer, else (Redis away) the provisional ledger's for a fail-open tenant, else null.</summary>
    private async Task<ReserveResult?> ReserveAsync(InferenceCall call, IReadOnlyList<QuotaScope> scopes, CallSpend worstCase, CancellationToken cancellationToken)
    {
        var ttl = options.Value.ReservationTtl;
        var attempt = ledger.ReserveAsync(scopes, worstCase, ttl, call.Context.TenantId);
        try
        {
            return await attempt.WaitAsync(options.Value.LedgerDeadline, cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "The token ledger did not answer for tenant {TenantId}; failing {Mode}", call.Context.TenantId, call.Policy.RateLimitFailMode);
            // A hold the late script may still place when Redis resumes is released then, so it never blocks anyone.
            _ = attempt.ContinueWith(ReleaseLateHold, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return call.Policy.RateLimitFailMode == RateLimitFailMode.Open
                ? provisional.Reserve(scopes, worstCase, ttl, call.Context.TenantId)
                : null;
        }
    }

    private void ReleaseLateHold(Task<ReserveResult> late)
    {
        if (late.IsFaulted)
        {
            _ = late.Exception; // observed: Redis failed it, so it holds nothing
        }
        else if (late.IsCompletedSuccessfully && late.Result.Reservation is { } orphan)
        {
            provisional.Defer(orphan, CallSpend.None);
        }
    }
}
