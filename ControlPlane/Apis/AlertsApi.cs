using System.Globalization;
using AgentCloud.ControlPlane.Alerts;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Extensions;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>
/// Budget alerts: the tenant's webhook (<c>/v1/alerts/webhook</c>, for a key holding <c>alerts:admin</c>) and its deliveries
/// (<c>/v1/alerts/deliveries</c>), and the operator's <c>/admin/v1/tenants/{id}/alerts/…</c>. The signing secret is answered
/// only when made (the first PUT, a rotation); no other answer, log line or audit entry carries it.
/// </summary>
public static class AlertsApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapGroup("/v1/alerts").AddEndpointFilter<AlertsAdminOnly>();
        Map(tenant, http => http.Features.Get<TenantContext>()!.TenantId, "/v1/alerts/webhook");

        var admin = app.MapGroup("/admin/v1/tenants/{tenantId}/alerts").AddEndpointFilter<OperatorOnly>();
        Map(admin, http => (string)http.Request.RouteValues["tenantId"]!, null);
        return app;
    }

    /// <summary>The same routes for both callers; only where the tenant comes from differs (the caller's context, or the path).</summary>
    private static void Map(RouteGroupBuilder group, Func<HttpContext, string> tenantOf, string? location)
    {
        group.MapGet("webhook", (HttpContext http, AlertWebhookService webhooks, CancellationToken ct) => GetWebhook(tenantOf(http), webhooks, ct));
        group.MapPut("webhook", (HttpContext http, PutWebhookRequest request, AlertWebhookService webhooks, IOptions<AlertOptions> options, CancellationToken ct) =>
            PutWebhook(tenantOf(http), request, Actor(http), webhooks, options.Value, location ?? http.Request.Path, ct));
        group.MapDelete("webhook", (HttpContext http, AlertWebhookService webhooks, CancellationToken ct) => DeleteWebhook(tenantOf(http), Actor(http), webhooks, ct));
        group.MapPost("webhook/rotate-secret", (HttpContext http, AlertWebhookService webhooks, CancellationToken ct) => RotateSecret(tenantOf(http), Actor(http), webhooks, ct));
        group.MapGet("deliveries", (HttpContext http, string? limit, string? cursor, AlertWebhookService webhooks, AlertDeliveryLog log, CancellationToken ct) =>
            ListDeliveries(tenantOf(http), limit, cursor, webhooks, log, ct));
    }

    private static string Actor(HttpContext http) => http.Features.Get<TenantContext>()!.Principal;

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> GetWebhook(string tenantId, AlertWebhookService webhooks, CancellationToken ct) =>
        await webhooks.GetAsync(tenantId, ct) is { } webhook ? TypedResults.Ok(WebhookResponse.From(webhook)) : NoWebhook();

    private static async Task<Results<Created<WebhookResponse>, Ok<WebhookResponse>, ProblemHttpResult>> PutWebhook(
        string tenantId, PutWebhookRequest request, string actor, AlertWebhookService webhooks, AlertOptions options, string location, CancellationToken ct)
    {
        if (await WebhookAddressRules.RefuseAsync(request.Url, options.AllowLoopbackReceivers == true, ct) is { } refusal)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "webhook-url-refused", "Webhook URL refused", refusal);
        }
        var change = await webhooks.PutAsync(tenantId, request.Url!, actor, ct);
        if (change.UnknownTenant)
        {
            return TenantsApi.NoSuchTenant(tenantId);
        }
        var answer = WebhookResponse.From(change.Webhook!, change.NewSecret);
        return change.Created ? TypedResults.Created(location, answer) : TypedResults.Ok(answer);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteWebhook(string tenantId, string actor, AlertWebhookService webhooks, CancellationToken ct) =>
        await webhooks.DeleteAsync(tenantId, actor, ct) ? TypedResults.NoContent() : NoWebhook();

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> RotateSecret(string tenantId, string actor, AlertWebhookService webhooks, CancellationToken ct) =>
        await webhooks.RotateSecretAsync(tenantId, actor, ct) is { Webhook: { } webhook, NewSecret: var secret }
            ? TypedResults.Ok(WebhookResponse.From(webhook, secret))
            : NoWebhook();

    private static async Task<Results<Ok<AlertDeliveriesPage>, ProblemHttpResult>> ListDeliveries(
        string tenantId, string? limit, string? cursor, AlertWebhookService webhooks, AlertDeliveryLog log, CancellationToken ct)
    {
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxLimit))
        {
            return Problems.BadRequest($"'limit' must be a whole number from 1 to {MaxLimit}.");
        }
        long? before = null;
        if (cursor is not null)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
            {
                return Problems.BadRequest("'cursor' must be the 'nextCursor' of a previous page.");
            }
            before = parsed;
        }
        if (!await webhooks.TenantExistsAsync(tenantId, ct))
        {
            return TenantsApi.NoSuchTenant(tenantId);
        }
        var (page, more) = await log.PageAsync(tenantId, before, size, ct);
        var next = more ? page[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new AlertDeliveriesPage(page.Select(AlertDeliveryResponse.From).ToList(), next));
    }

    private static ProblemHttpResult NoWebhook() =>
        Problems.NotFound("No alert webhook is configured: PUT /v1/alerts/webhook {\"url\": \"https://…\"} makes one.");

    /// <summary>Only a tenant's own key with <c>alerts:admin</c>, called through the Gateway by the tenant itself (never a run's key).</summary>
    private sealed class AlertsAdminOnly : IEndpointFilter
    {
        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var caller = context.HttpContext.Features.Get<TenantContext>();
            if (caller is null || caller.TenantId == TenantContext.PlatformTenantId || !caller.Has(Capabilities.AlertsAdmin) || caller.RunId is not null || caller.Via is not null)
            {
                return ValueTask.FromResult<object?>(Problems.Forbidden(
                    $"Managing alerts needs the '{Capabilities.AlertsAdmin}' capability on a tenant's own key (never a run's key); the operator uses /admin/v1/tenants/{{id}}/alerts."));
            }
            return next(context);
        }
    }
}
