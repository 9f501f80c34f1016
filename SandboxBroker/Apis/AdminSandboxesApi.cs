using System.Globalization;
using System.Text;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Fleet;
using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Pausing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>
/// The operator's view of live sandboxes across tenants (<c>GET /admin/v1/sandboxes</c>): running and paused, ordered by
/// tenant then id, a page at a time (<c>limit</c>, default 100, at most 500; <c>cursor</c> from the previous page's
/// <c>nextCursor</c>); <c>tenantId</c> narrows it to one tenant. Only the operator context may call it.
/// </summary>
public static class AdminSandboxesApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    public sealed record AdminSandboxView(string TenantId, string Id, string Isolation, string Template, string State, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string? RunId);

    public sealed record AdminSandboxPage(IReadOnlyList<AdminSandboxView> Sandboxes, string? NextCursor);

    public static RouteGroupBuilder MapAdminSandboxesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/admin/v1/sandboxes");
        api.AddEndpointFilter(async (context, next) =>
            context.HttpContext.Features.Get<TenantContext>() is { IsOperator: true }
                ? await next(context)
                : Problems.Forbidden("The admin API is for the platform operator only: call it through the Gateway with the operator key."));
        api.MapFleetAdminListing(); // every broker replica's sandboxes: Fleet/FleetAdminListing.cs
        api.MapGet("", ListAllSandboxes);
        return api;
    }

    public static Results<Ok<AdminSandboxPage>, ProblemHttpResult> ListAllSandboxes(string? tenantId, string? limit, string? cursor, SandboxLeases leases, PausedStore paused)
    {
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxLimit))
        {
            return Problems.BadRequest($"'limit' must be a whole number from 1 to {MaxLimit}.");
        }
        (string Tenant, string Id)? after = null;
        if (cursor is not null && (after = DecodeCursor(cursor)) is null)
        {
            return Problems.BadRequest("'cursor' must be the 'nextCursor' of a previous page.");
        }
        var running = leases.All().Where(s => !s.Released)
            .Select(s => new AdminSandboxView(s.TenantId, s.Id, s.Isolation, s.Template, SandboxesApi.SandboxView.RunningState, s.CreatedAt, s.ExpiresAt, s.RunId));
        var resting = paused.All()
            .Select(p => new AdminSandboxView(p.TenantId, p.Id, p.Isolation, p.Template, SandboxesApi.SandboxView.PausedState, p.CreatedAt, p.PausedUntil, p.RunId));
        var ordered = running.Concat(resting)
            .Where(v => string.IsNullOrEmpty(tenantId) || v.TenantId == tenantId)
            .Where(v => after is not { } a || Compare(v, a) > 0)
            .OrderBy(v => v.TenantId, StringComparer.Ordinal).ThenBy(v => v.Id, StringComparer.Ordinal)
            .Take(size + 1)
            .ToList();
        var more = ordered.Count > size;
        var page = more ? ordered[..size] : ordered;
        return TypedResults.Ok(new AdminSandboxPage(page, more ? EncodeCursor(page[^1]) : null));
    }

    private static int Compare(AdminSandboxView v, (string Tenant, string Id) after)
    {
        var byTenant = string.CompareOrdinal(v.TenantId, after.Tenant);
        return byTenant != 0 ? byTenant : string.CompareOrdinal(v.Id, after.Id);
    }

    // Tenant ids and sandbox ids never hold a newline, so it separates them; base64url keeps the cursor URL-safe.
    internal static string EncodeCursor(AdminSandboxView last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{last.TenantId}\n{last.Id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (string, string)? DecodeCursor(string cursor)
    {
        if (cursor.Length is 0 or > 400)
        {
            return null;
        }
        var padded = cursor.Replace('-', '+').Replace('_', '/') + new string('=', (4 - cursor.Length % 4) % 4);
        var bytes = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, bytes, out var written))
        {
            return null;
        }
        var parts = Encoding.UTF8.GetString(bytes, 0, written).Split('\n');
        return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0 ? (parts[0], parts[1]) : null;
    }
}
