using System.Text.RegularExpressions;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tools.Egress;
using AgentCloud.Tools.Extensions;
using AgentCloud.Tools.Servers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.Tools.Apis;

/// <summary>
/// <c>/v1/tools/servers</c>: the caller's tenant's MCP servers. The tenant is always the caller's own; another
/// tenant's server is answered exactly as a missing one (404). Run keys may read but not change the registry.
/// </summary>
public static partial class ToolServersApi
{
    /// <summary>Prefixes of the built-in tools, which no server may shadow.</summary>
    public static readonly IReadOnlyList<string> ReservedNames = ["memory", "sandbox", "http", "tool", "tools", "platform"];

    public static RouteGroupBuilder MapToolServersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/tools/servers");
        api.AddEndpointFilter(async (context, next) =>
        {
            if (context.HttpContext.Features.Get<TenantContext>() is not { } caller || caller.TenantId == TenantContext.PlatformTenantId)
            {
                return Problems.Forbidden("Tool servers belong to a tenant: call with that tenant's API key.");
            }
            try
            {
                return await next(context);
            }
            catch (RedisException)
            {
                context.HttpContext.Response.Headers.RetryAfter = "5";
                return Problems.Create(StatusCodes.Status503ServiceUnavailable, "store-unavailable", "Service unavailable",
                    "The tool server registry (Redis) is not answering; try again shortly.");
            }
        });
        api.MapPost("/", RegisterAsync);
        api.MapGet("/", ListAsync);
        api.MapGet("/{name}", GetAsync);
        api.MapDelete("/{name}", RemoveAsync);
        return api;
    }

    public sealed record ServerList(IReadOnlyList<ToolServer> Servers);

    public static async Task<Results<Created<ToolServer>, ProblemHttpResult>> RegisterAsync(
        RegisterServerRequest request, TenantContext ctx, ToolServerRegistry registry, GuardedConnector connector, IOptions<ToolsOptions> options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        if (ctx.RunId is not null)
        {
            return Problems.Forbidden("An agent run may use its tenant's tool servers but not register or remove them: use a tenant key.");
        }
        if (request.Name is null || !ServerName().IsMatch(request.Name) || ReservedNames.Contains(request.Name))
        {
            return Problems.BadRequest($"'name' must be 1 to 32 lowercase letters, digits, '_' or '-', starting with a letter or digit, and not one of {string.Join(", ", ReservedNames)}; its tools appear as '{{name}}.{{tool}}'.");
        }
        if (request.Integration is not null && !IntegrationName().IsMatch(request.Integration))
        {
            return Problems.BadRequest("'integration' must be the name of a vault credential: lowercase letters, digits, '.', '_' or '-' (at most 64).");
        }
        if (await RefuseUrlAsync(request.Url, connector, cancellationToken) is { } refusal)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "tool-server-url-refused", "Tool server URL refused", refusal);
        }
        var server = new ToolServer(request.Name, request.Url!, request.Integration, time.GetUtcNow());
        return await registry.AddAsync(ctx.TenantId, server, options.Value.MaxServersPerTenant) switch
        {
            RegistrationResult.NameTaken => Problems.Create(StatusCodes.Status409Conflict, "tool-server-exists", "Conflict",
                $"A tool server named '{server.Name}' is already registered; DELETE /v1/tools/servers/{server.Name} first."),
            RegistrationResult.LimitReached => Problems.Create(StatusCodes.Status409Conflict, "tool-server-limit", "Conflict",
                $"This tenant already has {options.Value.MaxServersPerTenant} tool servers; remove one first."),
            _ => TypedResults.Created($"/v1/tools/servers/{server.Name}", server),
        };
    }

    public static async Task<Results<Ok<ServerList>, ProblemHttpResult>> ListAsync(TenantContext ctx, ToolServerRegistry registry)
    {
        return TypedResults.Ok(new ServerList(await registry.ListAsync(ctx.TenantId)));
    }

    public static async Task<Results<Ok<ToolServer>, ProblemHttpResult>> GetAsync(string name, TenantContext ctx, ToolServerRegistry registry)
    {
        return await registry.GetAsync(ctx.TenantId, name) is { } server ? TypedResults.Ok(server) : NoSuchServer(name);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string name, TenantContext ctx, ToolServerRegistry registry)
    {
        if (ctx.RunId is not null)
        {
            return Problems.Forbidden("An agent run may use its tenant's tool servers but not register or remove them: use a tenant key.");
        }
        return await registry.RemoveAsync(ctx.TenantId, name) ? TypedResults.NoContent() : NoSuchServer(name);
    }

    /// <summary>The URL passes the egress SSRF rules now; the connector applies them again at every call.</summary>
    private static async Task<string?> RefuseUrlAsync(string? url, GuardedConnector connector, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || url!.Length > 2048)
        {
            return "'url' is required: the absolute http or https URL of the server's MCP endpoint (at most 2048 characters).";
        }
        if (AddressRules.RefuseUrl(uri) is { } refusal)
        {
            return $"'url' is refused: {refusal}.";
        }
        try
        {
            return (await connector.AdmittedAddressesAsync(uri.IdnHost, cancellationToken)).Count > 0
                ? null
                : $"'{uri.IdnHost}' resolves only to loopback, private or link-local addresses, which tool servers may not use.";
        }
        catch (System.Net.Sockets.SocketException)
        {
            return $"'{uri.IdnHost}' does not resolve.";
        }
    }

    private static ProblemHttpResult NoSuchServer(string name) =>
        Problems.NotFound($"There is no tool server '{(name.Length > 64 ? name[..64] : name)}' in this tenant.");

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex ServerName();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex IntegrationName();
}
