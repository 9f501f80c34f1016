using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>Admits only the operator context the Gateway mints for <c>/admin/*</c>; anyone else gets 403 and learns nothing else.</summary>
internal sealed class OperatorOnly : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var caller = context.HttpContext.Features.Get<TenantContext>();
        if (caller is not { IsOperator: true })
        {
            return ValueTask.FromResult<object?>(Problems.Forbidden("The admin API is for the platform operator only: call it through the Gateway with the operator key."));
        }
        return next(context);
    }
}
