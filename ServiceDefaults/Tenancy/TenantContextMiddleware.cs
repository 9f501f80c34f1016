using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentCloud.ServiceDefaults.Tenancy;

/// <summary>
/// Refuses every call that does not carry a valid Gateway-signed tenant context (health endpoints aside)
/// with 401 problem+json, and puts the tenant on the request, its trace and its log scope.
/// </summary>
internal sealed class TenantContextMiddleware(RequestDelegate next, TenantContextValidator validator, ILogger<TenantContextMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (Extensions.IsHealthPath(http.Request.Path))
        {
            await next(http);
            return;
        }

        var header = http.Request.Headers[TenantContextHeaders.Context];
        if (header.Count != 1 || string.IsNullOrWhiteSpace(header[0]))
        {
            await Problems.Unauthorized("This service is reached only through the AgentCloud Gateway: the call carries no tenant context.")
                .ExecuteAsync(http);
            return;
        }

        TenantContextValidation validation;
        try
        {
            validation = await validator.ValidateAsync(header[0]!, http.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not fetch the Gateway's signing keys");
            await Problems.Create(StatusCodes.Status503ServiceUnavailable, "context-keys-unavailable", "Service unavailable",
                "The Gateway's signing keys could not be fetched to verify the tenant context; try again shortly.").ExecuteAsync(http);
            return;
        }

        if (!validation.IsValid)
        {
            logger.LogInformation("Refused a call with an invalid tenant context: {Reason}", validation.Error);
            await Problems.Unauthorized($"Invalid tenant context: {validation.Error}.").ExecuteAsync(http);
            return;
        }

        var context = validation.Context!;
        http.Features.Set(context);
        http.User = new ClaimsPrincipal(validation.Identity!);
        Activity.Current?.SetTag("tenant.id", context.TenantId);
        Activity.Current?.SetTag("tenant.tier", context.Tier);
        // The same key on the request metrics, as the Gateway does.
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMetricsTagsFeature>()?.Tags.Add(new("tenant.id", context.TenantId));
        using (logger.BeginScope(new Dictionary<string, object?> { ["TenantId"] = context.TenantId, ["RunId"] = context.RunId }))
        {
            await next(http);
        }
    }
}
