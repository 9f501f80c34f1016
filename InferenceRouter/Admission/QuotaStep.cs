using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Quota;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Holds the call's worst case (prompt plus the most it may generate, weighted by the model's multipliers) in the
/// tenant's shared ledger before it runs; a call that does not fit is refused 429 with when the budget frees up.
/// </summary>
public sealed class QuotaStep(TokenLedger ledger, IOptions<BurndownOptions> burndown, IOptions<InferenceRouterOptions> options, TimeProvider time) : IAdmissionStep
{
    public async ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        call.Multipliers = burndown.Value.For(call.Model);
        var maxOutput = call.Kind == InferenceKind.Chat ? Math.Min(call.MaxTokens ?? options.Value.MaxOutputTokens, options.Value.MaxOutputTokens) : 0;
        var worstCase = call.Multipliers.Weigh(call.InputTokens, 0, maxOutput);
        var policy = call.Policy;
        var scopes = QuotaScopes.For(call.Context.TenantId, policy.TokensPerMinute, policy.MonthlyTokenQuota, time.GetUtcNow(),
            runId: call.Context.RunId, runLimit: policy.RunTokenBudget, endpoint: call.Route.Endpoint.Name, endpointTokensPerMinute: call.Route.Endpoint.TokensPerMinute);
        var result = await ledger.ReserveAsync(scopes, worstCase);
        if (!result.Admitted)
        {
            return new Refusal(429, "token-budget-exceeded", "Token budget exceeded",
                $"This call may use up to {worstCase} weighted tokens, but the {result.RefusedBy!.Name} has {result.Remaining} left; retry after the window or lower max_tokens.")
            {
                RetryAfter = result.RetryAfter,
                RemainingTokens = result.Remaining,
            };
        }
        call.Reservation = result.Reservation;
        call.RemainingTokens = scopes.Count > 0 ? result.Remaining : null;
        return null;
    }
}
