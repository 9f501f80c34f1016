using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace AgentCloud.ServiceDefaults.Tenancy;

/// <summary>A service behind the Gateway shows health details to a valid operator context only.</summary>
internal sealed class OperatorHealthDetailsGate(TenantContextValidator validator) : IHealthDetailsGate
{
    public async Task<bool> AdmitsAsync(HttpContext context)
    {
        var header = context.Request.Headers[TenantContextHeaders.Context];
        if (header.Count != 1 || string.IsNullOrEmpty(header[0]))
        {
            return false;
        }
        try
        {
            var validation = await validator.ValidateAsync(header[0]!, context.RequestAborted);
            return validation.Context is { IsOperator: true };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
