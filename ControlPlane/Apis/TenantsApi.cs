using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>The operator's tenant API: create, list, read, change and offboard tenants.</summary>
public static class TenantsApi
{
    public static RouteGroupBuilder MapTenantsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/admin/v1/tenants").AddEndpointFilter<OperatorOnly>();
        api.MapPost("", CreateTenant);
        api.MapGet("", ListTenants);
        api.MapGet("{tenantId}", GetTenant);
        api.MapPatch("{tenantId}", UpdateTenant);
        api.MapDelete("{tenantId}", OffboardTenant);
        return api;
    }

    public static async Task<Results<Created<TenantResponse>, ProblemHttpResult>> CreateTenant(TenantSpec spec, TenantContext ctx, TenantDirectory tenants, ModelCatalog catalog, CancellationToken ct)
    {
        if (TenantValidation.Validate(spec, creating: true, catalog) is { } problem)
        {
            return Problems.BadRequest(problem);
        }
        var view = await tenants.CreateAsync(spec, ctx.Principal, ct);
        return TypedResults.Created($"/admin/v1/tenants/{view.Tenant.Id}", TenantResponse.From(view));
    }

    public static async Task<Ok<List<TenantResponse>>> ListTenants(TenantDirectory tenants, CancellationToken ct) =>
        TypedResults.Ok((await tenants.ListAsync(ct)).Select(TenantResponse.From).ToList());

    public static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> GetTenant(string tenantId, TenantDirectory tenants, CancellationToken ct) =>
        await tenants.GetAsync(tenantId, ct) is { } view ? TypedResults.Ok(TenantResponse.From(view)) : NoSuchTenant(tenantId);

    public static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> UpdateTenant(string tenantId, TenantSpec spec, TenantContext ctx, TenantDirectory tenants, ModelCatalog catalog, CancellationToken ct)
    {
        if (TenantValidation.Validate(spec, creating: false, catalog) is { } problem)
        {
            return Problems.BadRequest(problem);
        }
        return await tenants.UpdateAsync(tenantId, spec, ctx.Principal, ct) is { } view ? TypedResults.Ok(TenantResponse.From(view)) : NoSuchTenant(tenantId);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> OffboardTenant(string tenantId, TenantContext ctx, TenantDirectory tenants, CancellationToken ct) =>
        await tenants.OffboardAsync(tenantId, ctx.Principal, ct) is not null ? TypedResults.NoContent() : NoSuchTenant(tenantId);

    internal static ProblemHttpResult NoSuchTenant(string tenantId) =>
        Problems.NotFound($"There is no tenant '{TenantValidation.Clip(tenantId)}'.");
}
