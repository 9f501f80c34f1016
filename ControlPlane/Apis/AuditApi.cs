using System.Text.Json;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ServiceDefaults;
using AgentCloud.ServiceDefaults.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>The operator's audit API: a tenant's trail with the verdict on its hash chain (the platform's own trail without tenantId).</summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/admin/v1/audit").AddEndpointFilter<OperatorOnly>();
        api.MapGet("", GetAudit);
        return api;
    }

    public static async Task<Results<Ok<AuditResponse>, ProblemHttpResult>> GetAudit(string? tenantId, TenantDb db, CancellationToken ct)
    {
        var id = string.IsNullOrEmpty(tenantId) ? TenantContext.PlatformTenantId : tenantId;
        var trail = await db.InTenantAsync(id, ctx => AuditLog.ReadAsync(ctx, id, ct), ct);
        if (trail is not { } t)
        {
            // The platform's own trail always exists, if only empty; a tenant id nobody ever had is unknown.
            return id == TenantContext.PlatformTenantId
                ? TypedResults.Ok(new AuditResponse(id, true, null, null, []))
                : Problems.NotFound($"There is no audit trail for tenant '{TenantValidation.Clip(id)}'.");
        }
        var events = t.Events.Select(e => new AuditEventResponse(e.Sequence, e.At, e.Actor, e.Action, Parse(e.Detail), Convert.ToHexStringLower(e.Hash))).ToList();
        return TypedResults.Ok(new AuditResponse(id, t.Verification.Verified, t.Verification.BrokenAt, t.Verification.Reason, events));
    }

    /// <summary>A detail tampered into something that is not JSON is shown as a string (the chain already says it is broken).</summary>
    private static JsonElement Parse(string detail)
    {
        try
        {
            return JsonDocument.Parse(detail).RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(detail);
        }
    }
}
