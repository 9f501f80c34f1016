using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.InferenceRouter.Apis;

/// <summary>
/// The router's own wall behind the Gateway's route check: a call needs <c>inference</c>. One exception: an
/// embedding Memory asks for on the caller's behalf (its onward context says "via memory") is paid for by the caller's
/// <c>memory:write</c> (texts it stores) or <c>memory:read</c> (the query it searches with).
/// </summary>
public sealed class InferenceCapabilityFilter(bool embeddingsForMemory) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var caller = context.HttpContext.Features.Get<TenantContext>();
        if (caller is null || Admits(caller, embeddingsForMemory))
        {
            return next(context);
        }
        return ValueTask.FromResult<object?>(Problems.Forbidden($"This key lacks the '{CapabilityCatalogue.Inference}' capability."));
    }

    public static bool Admits(TenantContext caller, bool embeddingsForMemory) =>
        caller.Has(CapabilityCatalogue.Inference)
        || (embeddingsForMemory && caller.Via is ServiceNames.Memory or ServiceNames.Tools
            && (caller.Has(CapabilityCatalogue.MemoryWrite) || caller.Has(CapabilityCatalogue.MemoryRead)));
}
