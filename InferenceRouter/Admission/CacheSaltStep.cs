using AgentCloud.Platform.Contracts;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Applies the tenant's KV-cache policy. The client's own <c>cache_salt</c> is always dropped: a salt is only safe
/// when the server chooses it. <c>off</c> gets a fresh random salt per request; <c>isolated</c>, <c>dedicated</c> and
/// anything unknown get the tenant's derived salt, which also keeps tenants apart on a tier's dedicated pool.
/// </summary>
public sealed class CacheSaltStep(CacheSaltDeriver salts, IOptions<InferenceRouterOptions> options) : IAdmissionStep
{
    public const string Field = "cache_salt";

    public ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        if (call.Kind == InferenceKind.Chat && options.Value.CacheSalting == CacheSalting.Enforced)
        {
            call.Body.Remove(Field);
            call.Body[Field] = call.Policy.KvCachePolicy == KvCachePolicy.Off ? CacheSaltDeriver.Fresh() : salts.ForTenant(call.Context.TenantId);
        }
        return ValueTask.FromResult<Refusal?>(null);
    }
}
