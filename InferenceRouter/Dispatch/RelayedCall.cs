using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Quota;
using AgentCloud.InferenceRouter.Scheduling;
using AgentCloud.InferenceRouter.Usage;
using AgentCloud.Platform;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Dispatch;

/// <summary>
/// The answer to an admitted call: dispatch it to its endpoint and relay the answer (streamed or whole), and in
/// every outcome, success, upstream failure or client abort, write exactly one usage event.
/// </summary>
public sealed class RelayedCall(InferenceCall call) : IResult
{
    public InferenceCall Call => call;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var services = httpContext.RequestServices;
        var upstream = services.GetRequiredService<UpstreamClient>();
        var recorder = services.GetRequiredService<UsageRecorder>();
        var settlement = services.GetRequiredService<CallSettlement>();
        var logger = services.GetRequiredService<ILogger<RelayedCall>>();
        var aborted = httpContext.RequestAborted;
        var options = services.GetRequiredService<IOptions<InferenceRouterOptions>>().Value;
        var tally = new UsageTally(call);
        // A hold on no budget (a tenant without token budgets) or one kept in this router's memory has nothing to renew in Redis.
        var renewal = call.Reservation is { Scopes.Count: > 0, Provisional: false } held
            ? new ReservationRenewal(services.GetRequiredService<TokenLedger>(), held, options.ReservationTtl, options.LedgerDeadline,
                services.GetRequiredService<TimeProvider>(), logger)
            : null;
        // A stream stops when its client goes; a whole answer is awaited a while longer, so what the upstream produced is billed.
        using var upstreamWait = call.Stream ? null : new CancellationTokenSource(options.AbandonedCallWait);
        var upstreamToken = upstreamWait?.Token ?? aborted;
        using var attempts = new UpstreamAttempts(call, upstream, services.GetRequiredService<EndpointCatalogue>(), services.GetRequiredService<EndpointLoad>(),
            services.GetRequiredService<PlacedCalls>(), services.GetRequiredService<EndpointSchedulers>(), options.AttemptTimeout, logger);
        if (call.RemainingTokens is { } remaining)
        {
            httpContext.Response.Headers[RateLimitHeaders.RemainingTokens] = remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        // A whole answer is sent only once it is billed (below): a router ended between the two then leaves the
        // Gateway a call not yet answered, which it answers 503 with Retry-After, rather than a client a cut answer.
        byte[]? wholeAnswer = null;
        try
        {
            using var response = await attempts.SendAsync(upstreamToken);
            if (!response.IsSuccessStatusCode)
            {
                await RelayFailureAsync(httpContext, response, aborted);
                return;
            }
            if (call.Stream)
            {
                await StreamRelay.RelayAsync(httpContext, response, tally, aborted);
            }
            else
            {
                wholeAnswer = await ReadWholeAsync(response, tally, upstreamToken);
                aborted.ThrowIfCancellationRequested(); // a client gone meanwhile: billed as aborted, sent nothing
            }
            tally.Status = "ok";
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            tally.Status = "aborted";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or JsonException)
        {
            logger.LogWarning(e, "Endpoint {Endpoint} failed for tenant {TenantId}", call.Route.Endpoint.Name, call.Context.TenantId);
            if (!httpContext.Response.HasStarted)
            {
                await Problems.Create(502, "upstream-failed", "Model endpoint failed",
                    $"The model endpoint for '{call.Model}' did not answer properly; try again.").ExecuteAsync(httpContext);
            }
        }
        finally
        {
            if (renewal is not null)
            {
                await renewal.DisposeAsync();
            }
            // The usage event and the settle are independent writes: both in flight at once, so the call waits one round trip, not two.
            var usage = recorder.ClaimEvent(tally);
            var settled = settlement.SettleAsync(call, usage);
            if (usage is not null)
            {
                await recorder.PublishAsync(usage);
            }
            await settled;
        }
        if (wholeAnswer is not null && !aborted.IsCancellationRequested)
        {
            await WriteWholeAsync(httpContext, wholeAnswer, aborted);
        }
    }

    /// <summary>Reads the whole answer (and its usage) even when the client has gone: what the upstream produced is billed.</summary>
    private static async Task<byte[]> ReadWholeAsync(HttpResponseMessage response, UsageTally tally, CancellationToken upstreamToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(upstreamToken);
        UsageJson.TryReport(bytes, tally);
        if (PublicModel.IsAliased(tally.Call))
        {
            // Only an aliased model costs a parse and a re-serialisation: the answer must name the public id.
            var answer = JsonNode.Parse(bytes);
            if (PublicModel.Restore(answer, tally.Call))
            {
                bytes = JsonSerializer.SerializeToUtf8Bytes(answer);
            }
        }
        return bytes;
    }

    /// <summary>The billed answer, in one write with its length, to a client still there (one that left gets nothing more).</summary>
    private static async Task WriteWholeAsync(HttpContext http, byte[] bytes, CancellationToken cancellationToken)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = bytes.Length;
        try
        {
            await http.Response.Body.WriteAsync(bytes, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && cancellationToken.IsCancellationRequested)
        {
            // The client went after the call was billed; nothing is left to do for it.
        }
    }

    /// <summary>The upstream's 4xx is the client's to see (it describes their request); a 5xx becomes our 502.</summary>
    private async Task RelayFailureAsync(HttpContext http, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (status is >= 400 and < 500 and not 401 and not 403)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/problem+json";
            await response.Content.CopyToAsync(http.Response.Body, cancellationToken);
            return;
        }
        await Problems.Create(502, "upstream-failed", "Model endpoint failed",
            $"The model endpoint for '{call.Model}' answered {status}; try again.").ExecuteAsync(http);
    }
}
