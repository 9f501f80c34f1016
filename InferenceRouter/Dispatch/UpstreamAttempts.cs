using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.InferenceRouter.Scheduling;

namespace AgentCloud.InferenceRouter.Dispatch;

/// <summary>
/// Sends one admitted call, falling back on failure: an upstream 5xx, a refused connection or an attempt past its
/// timeout (all before anything reached the client) moves the call to the next endpoint serving its model that the
/// tenant may use, under the same placement rules. The call keeps its one token reservation and gets one usage event,
/// naming the endpoint that answered. Owns the call's in-flight mark on whichever endpoint it is on.
/// </summary>
public sealed class UpstreamAttempts(InferenceCall call, UpstreamClient upstream, EndpointCatalogue catalogue, EndpointLoad load,
    PlacedCalls placed, EndpointSchedulers schedulers, TimeSpan attemptTimeout, ILogger logger) : IDisposable
{
    private readonly List<string> _tried = [];
    private IDisposable? _inFlight;
    private CancellationTokenSource? _attempt;

    /// <summary>The answer that arrived (success, a 4xx, or the last 5xx when no endpoint was left); throws the last failure otherwise.</summary>
    public async Task<HttpResponseMessage> SendAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var endpoint = call.Route.Endpoint;
            _tried.Add(endpoint.Name);
            _inFlight?.Dispose();
            _inFlight = load.Enter(endpoint.Name);
            _attempt?.Dispose();
            _attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _attempt.CancelAfter(attemptTimeout);
            HttpResponseMessage response;
            try
            {
                response = await upstream.SendAsync(call, _attempt.Token);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException)
            {
                var why = e is OperationCanceledException ? $"did not answer within {attemptTimeout}" : "failed: " + e.Message;
                if (await MoveOnAsync(endpoint, why, cancellationToken))
                {
                    continue;
                }
                throw;
            }
            if ((int)response.StatusCode >= 500 && await MoveOnAsync(endpoint, $"answered {(int)response.StatusCode}", cancellationToken))
            {
                response.Dispose();
                continue;
            }
            // The timeout bounds the wait for an answer, not a stream's length: the body is read under the caller's token.
            _attempt.CancelAfter(Timeout.InfiniteTimeSpan);
            return response;
        }
    }

    /// <summary>Moves the call to the next endpoint (and its fair queue, for a shared one); false when there is none to move to.</summary>
    private async Task<bool> MoveOnAsync(UpstreamEndpoint failed, string why, CancellationToken cancellationToken)
    {
        if (catalogue.Fallback(call.Policy, call.Model, _tried, call.Needs) is not { } next)
        {
            logger.LogWarning("Endpoint {Endpoint} {Why} for tenant {TenantId}; no other endpoint serves {Model}", failed.Name, why, call.Context.TenantId, call.Model);
            return false;
        }
        logger.LogWarning("Endpoint {Endpoint} {Why} for tenant {TenantId}; falling back to {Next}", failed.Name, why, call.Context.TenantId, next.Endpoint.Name);
        call.Lease?.Complete(0);
        call.Lease = null;
        if (next.Endpoint.IsShared)
        {
            try
            {
                var weight = call.Policy.FairShareWeight > 0 ? call.Policy.FairShareWeight : 1;
                call.Lease = await schedulers.For(next.Endpoint.Name)
                    .AcquireAsync(new SchedulingRequest(call.Context.TenantId, weight, call.Lane, call.Reservation?.Amount ?? call.InputTokens), cancellationToken);
            }
            catch (SchedulerRejectedException e)
            {
                logger.LogWarning("Fallback endpoint {Next} is too busy for tenant {TenantId}: {Reason}", next.Endpoint.Name, call.Context.TenantId, e.Message);
                return false;
            }
        }
        call.Route = next;
        // The call's weight in cache-aware placement follows it, so the failed replica does not look busier than it is.
        call.Placed?.Dispose();
        call.Placed = next.Endpoint.IsShared ? placed.Place(next.Endpoint.Name) : null;
        return true;
    }

    public void Dispose()
    {
        _inFlight?.Dispose();
        _attempt?.Dispose();
    }
}
