using AgentCloud.Platform.Faults;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Kubernetes;
using AgentCloud.SandboxBroker.Pausing;
using AgentCloud.SandboxBroker.Sandboxes;
using StackExchange.Redis;
using Yarp.ReverseProxy.Forwarder;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Any replica answers any sandbox call: a call naming a sandbox this broker does not hold is looked up in the fleet's
/// record and forwarded to its owner, or answered 410 <c>sandbox-lost</c> once that owner was declared dead and the sandbox settled (503 with Retry-After while its owner is merely silent). Runs after routing
/// and the tenant context, before any body is read. Another tenant's sandbox, an unknown one, or a call already
/// forwarded once goes on to the local handlers, which answer 404 as for any id the caller does not hold.
/// </summary>
public static class FleetRouting
{
    private const string Prefix = "/v1/sandboxes";

    /// <summary>How long finding a sandbox's owner in Redis may take before the call is answered 503 with Retry-After.</summary>
    private static readonly TimeSpan LookupDeadline = TimeSpan.FromSeconds(1);

    public static WebApplication UseSandboxFleet(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (await ForwardOrAnswerAsync(http) is { } answer)
            {
                await answer.ExecuteAsync(http);
                return;
            }
            await next(http);
        });
        return app;
    }

    /// <summary>An answer given here (410, 503, or the owner's, already sent), or null when the call goes on to the local handlers.</summary>
    private static async Task<IResult?> ForwardOrAnswerAsync(HttpContext http)
    {
        if (!http.Request.Path.StartsWithSegments(Prefix)
            || http.Features.Get<TenantContext>() is not { } caller
            || http.Request.RouteValues.GetValueOrDefault("id") is not string id)
        {
            return null;
        }
        var membership = http.RequestServices.GetRequiredService<FleetMembership>();
        if (HeldHere(http.RequestServices, caller.TenantId, id))
        {
            // Cut off from the fleet past the timeout, this broker may have been declared dead and its sandbox billed as lost.
            return membership.CutOff ? SandboxLost.FleetStateUnreachable(http) : null;
        }
        SandboxOwner? owner;
        FleetMember? member = null;
        try
        {
            // Under a deadline: a Redis that is away must give a prompt 503, not hold the call for the client's timeout.
            owner = await StoreDeadline.RunAsync("redis", LookupDeadline, _ => http.RequestServices.GetRequiredService<FleetLeases>().OwnerOfAsync(id), http.RequestAborted);
            if (owner is null || owner.TenantId != caller.TenantId)
            {
                return null;
            }
            if (owner.LostAt is { } lostAt)
            {
                return SandboxLost.Gone(id, lostAt);
            }
            if (owner.HostId == membership.HostId || FleetForwarder.WasForwarded(http.Request))
            {
                return null; // it ended here meanwhile, or the owner it was forwarded to no longer holds it: never loops
            }
            member = await StoreDeadline.RunAsync("redis", LookupDeadline, _ => membership.LiveAsync(owner.HostId), http.RequestAborted);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or StoreUnavailableException)
        {
            return SandboxLost.FleetStateUnreachable(http);
        }
        if (member is null)
        {
            // Its broker is silent, but lost only once a survivor declared it dead and settled the sandbox (410 then).
            return SandboxLost.OwnerUnreachable(id, http);
        }
        var error = await http.RequestServices.GetRequiredService<FleetForwarder>().ForwardAsync(http, member.Address);
        if (error != ForwarderError.None && !http.Response.HasStarted)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            return SandboxLost.OwnerUnreachable(id, http);
        }
        return Results.Empty; // the owner's answer went through as it came
    }

    private static bool HeldHere(IServiceProvider services, string tenantId, string id) =>
        services.GetRequiredService<SandboxManager>().Find(tenantId, id) is not null
        || services.GetRequiredService<PausedStore>().Find(tenantId, id) is not null
        || services.GetRequiredService<ClusterLeases>().Find(tenantId, id) is not null;
}
