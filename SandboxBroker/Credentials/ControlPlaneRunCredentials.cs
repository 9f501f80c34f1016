using System.Net;
using System.Text.Json;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Platform.Outbox;
using AgentCloud.Platform.ControlPlane;
using Microsoft.AspNetCore.Mvc;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Credentials;

/// <summary>
/// Run keys from the ControlPlane's internal API. The broker has no identity of its own that could mint keys: it
/// forwards the signed context of the tenant's call, so a run key can only ever be a subset of what that caller holds.
/// </summary>
public sealed class ControlPlaneRunCredentials(
    ControlPlaneClient controlPlane, IHttpContextAccessor httpContext, IConnectionMultiplexer redis, StreamOutbox outbox, ILogger<ControlPlaneRunCredentials> logger) : IRunCredentials
{
    public async Task<RunKey> MintAsync(TenantContext caller, string runId, IReadOnlyList<string>? capabilities, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await controlPlane.MintRunKeyAsync(CallerCall(),
                new MintRunKeyRequest(runId, capabilities?.ToList<string?>(), (int)Math.Ceiling(lifetime.TotalSeconds)), cancellationToken);
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                // The caller asked for more than its own capabilities allow: its mistake, said in the ControlPlane's words.
                var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(cancellationToken);
                throw new SandboxRefusal(RefusalKind.Invalid, problem?.Detail ?? "The run key's capabilities were refused.");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new RunKeyUnavailableException($"The ControlPlane answered {(int)response.StatusCode} when asked for a run key.");
            }
            return await response.Content.ReadFromJsonAsync<RunKey>(cancellationToken)
                ?? throw new RunKeyUnavailableException("The ControlPlane answered a run key request with an empty body.");
        }
        catch (HttpRequestException e)
        {
            throw new RunKeyUnavailableException("The ControlPlane could not be reached for a run key.", e);
        }
        catch (MissingTenantContextException e)
        {
            throw new RunKeyUnavailableException("Run keys are asked for in a tenant's call, and there is none.", e);
        }
    }

    public Task RevokeAsync(string runId, CancellationToken cancellationToken) => controlPlane.RevokeRunKeysAsync(CallerCall(), runId, cancellationToken);

    public async Task AnnounceEndedAsync(string tenantId, string runId)
    {
        try
        {
            var message = JsonSerializer.Serialize(new RunEnded(tenantId, runId), JsonSerializerOptions.Web);
            // On the durable stream through the outbox: a ControlPlane that is down, or a Redis that is away, still gets it.
            await ControlEventStream.PublishAsync(outbox, redis, PlatformChannels.RunEnded, message);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or IOException)
        {
            // Not even spooled: the keys still die at their expiry, which is the sandbox's own lifetime.
            logger.LogError(e, "Could not announce the end of run {RunId}; its keys expire on their own", runId);
        }
    }

    // Straight to Redis, no outbox: a refusal must throw so the recovered lease stays in the journal and is retried.
    public Task AnnounceRecoveredEndAsync(string tenantId, string runId) =>
        ControlEventStream.PublishAsync(redis, PlatformChannels.RunEnded, JsonSerializer.Serialize(new RunEnded(tenantId, runId), JsonSerializerOptions.Web));

    // The Gateway's onward context for the ControlPlane travels on the tenant's call: the broker's own is for the broker only.
    private HttpContext CallerCall() =>
        httpContext.HttpContext ?? throw new RunKeyUnavailableException("Run keys are asked for in a tenant's call, and there is none.");
}
