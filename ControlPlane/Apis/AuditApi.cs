using System.Text.Json;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>
/// The operator's audit API: a tenant's trail (the platform's own without tenantId), a page at a time
/// (<c>limit</c>, default 100, at most 1000; <c>cursor</c> from the previous page's <c>nextCursor</c>), with the verdict
/// on the page's links of the hash chain.
/// </summary>
public static class AuditApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/admin/v1/audit").AddEndpointFilter<OperatorOnly>();
        api.MapGet("", GetAudit);
        return api;
    }

    public static async Task<Results<Ok<AuditResponse>, ProblemHttpResult>> GetAudit(string? tenantId, string? limit, string? cursor, TenantDb db, CancellationToken ct)
    {
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxLimit))
        {
            return Problems.BadRequest($"'limit' must be a whole number from 1 to {MaxLimit}.");
        }
        long after = 0;
        if (cursor is not null && (!long.TryParse(cursor, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out after) || after < 0))
        {
            return Problems.BadRequest("'cursor' must be the 'nextCursor' of a previous page.");
        }
        var id = string.IsNullOrEmpty(tenantId) ? TenantContext.PlatformTenantId : tenantId;
        var trail = await db.InTenantAsync(id, ctx => AuditLog.ReadPageAsync(ctx, id, after, size, ct), ct);
        if (trail is not { } t)
        {
            // The platform's own trail always exists, if only empty; a tenant id nobody ever had is unknown.
            return id == TenantContext.PlatformTenantId
                ? TypedResults.Ok(new AuditResponse(id, true, null, null, [], null))
                : Problems.NotFound($"There is no audit trail for tenant '{TenantValidation.Clip(id)}'.");
        }
        var events = t.Events.Select(e => new AuditEventResponse(e.Sequence, e.At, e.Actor, e.Action, Parse(e.Detail), Convert.ToHexStringLower(e.Hash))).ToList();
        var next = t.More ? events[^1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new AuditResponse(id, t.Verification.Verified, t.Verification.BrokenAt, t.Verification.Reason, events, next));
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
