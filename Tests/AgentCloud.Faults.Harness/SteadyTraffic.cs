using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace AgentCloud.Faults.Harness;

/// <summary>
/// Steady, bounded traffic to the Gateway on 127.0.0.1: a few callers cycle over the tenants and the operations
/// (chat completion, memory put and search, sandbox exec, usage read), one call at a time each, every call cut off
/// at the answer deadline. A sandbox the broker lost is replaced by a new one (that create is a call too).
/// </summary>
public sealed class SteadyTraffic : IAsyncDisposable
{
    /// <summary>
    /// Every call is answered within this, or it broke the promise. 4 s: the longest wait the Gateway itself allows on a
    /// request path (resolving a key it has never seen, <c>Gateway:KeyResolutionTimeout</c>, 3 s) plus a second to answer
    /// after it, so a later answer is a hang and not a platform deadline at work (a fresh key met with Postgres killed is
    /// answered 503 at just over 3 s). It was 2 s while every service ran one process; with two copies of three services,
    /// fifteen processes share two cores here, and a service restarting under the fault (its launcher and JIT take whole
    /// CPU-seconds) made ordinary calls take 1.0-2.4 s. Calls over half of it are listed in each fault's timeline.
    /// </summary>
    public static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(4);
    private static readonly Operation[] Cycle = [Operation.Chat, Operation.MemoryPut, Operation.MemorySearch, Operation.SandboxExec, Operation.UsageRead];

    private readonly FaultPlatform _platform;
    private readonly IReadOnlyList<TrafficTenant> _tenants;
    private readonly Dictionary<string, HttpClient> _clients;
    private readonly ConcurrentDictionary<string, string?> _sandboxOf = new();
    private readonly ConcurrentBag<(TrafficTenant Tenant, string SandboxId)> _sandboxes = [];
    private readonly ConcurrentBag<CallOutcome> _outcomes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _callers = [];
    private readonly TimeSpan _pause;
    private int _pointId;

    public SteadyTraffic(FaultPlatform platform, IReadOnlyList<TrafficTenant> tenants, TimeSpan pause)
    {
        _platform = platform;
        _tenants = tenants;
        _pause = pause;
        _clients = tenants.ToDictionary(t => t.TenantId, t => platform.Gateway(t.Key, AnswerDeadline));
    }

    public IReadOnlyCollection<CallOutcome> Outcomes => _outcomes;

    /// <summary>Every sandbox the traffic was given (served creates), with its tenant.</summary>
    public IReadOnlyCollection<(TrafficTenant Tenant, string SandboxId)> Sandboxes => _sandboxes;

    /// <summary>Gives each tenant a sandbox (patiently: this is set-up, not traffic), then starts the callers.</summary>
    public async Task StartAsync(int callers, CancellationToken cancellationToken)
    {
        foreach (var tenant in _tenants)
        {
            _sandboxOf[tenant.TenantId] = await PatientlyCreateSandboxAsync(tenant, cancellationToken);
            // The collection exists before the first search, which would otherwise be a (correct) 404.
            var first = await Patiently(() => SendAsync(_clients[tenant.TenantId], Operation.MemoryPut, null), cancellationToken);
            first.EnsureSuccessStatusCode();
        }
        for (var i = 0; i < callers; i++)
        {
            var offset = i;
            _callers.Add(Task.Run(() => CallLoopAsync(offset), CancellationToken.None)); // the loops end on StopAsync, not on the start token
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers);
    }

    /// <summary>Deletes every sandbox still held, so each lease ends and is billed; patiently, after the fault.</summary>
    public async Task DeleteSandboxesAsync(CancellationToken cancellationToken)
    {
        foreach (var (tenant, id) in _sandboxes)
        {
            var response = await Patiently(() => _clients[tenant.TenantId].DeleteAsync($"/v1/sandboxes/{id}", cancellationToken), cancellationToken);
            // 410 is a sandbox the fault lost (its broker died): already ended and billed by a surviving broker.
            if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.NotFound or HttpStatusCode.Gone))
            {
                throw new InvalidOperationException($"Deleting sandbox {id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
    }

    private async Task CallLoopAsync(int offset)
    {
        for (var n = offset; !_stop.IsCancellationRequested; n++)
        {
            var tenant = _tenants[n % _tenants.Count];
            var operation = Cycle[n / _tenants.Count % Cycle.Length];
            if (operation == Operation.SandboxExec && _sandboxOf.GetValueOrDefault(tenant.TenantId) is null)
            {
                operation = Operation.SandboxCreate;
            }
            var outcome = await CallAsync(tenant, operation);
            _outcomes.Add(outcome);
            try
            {
                // A Gateway that is down refuses at once: do not spin on it.
                await Task.Delay(outcome.Verdict == Verdict.Unreachable ? _pause * 5 : _pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<CallOutcome> CallAsync(TrafficTenant tenant, Operation operation)
    {
        var client = _clients[tenant.TenantId];
        var sandbox = _sandboxOf.GetValueOrDefault(tenant.TenantId);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await SendAsync(client, operation, sandbox);
            var body = await response.Content.ReadAsStringAsync();
            var elapsed = clock.Elapsed;
            string? problem = null;
            if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            {
                problem = JsonNode.Parse(body)?["type"]?.GetValue<string>();
            }
            var retryAfter = response.Headers.RetryAfter is not null;
            var verdict = Judge(response.StatusCode, retryAfter, operation, elapsed);
            if (operation == Operation.SandboxCreate && response.StatusCode == HttpStatusCode.Created)
            {
                var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
                _sandboxes.Add((tenant, id));
                _sandboxOf[tenant.TenantId] = id;
            }
            if (verdict == Verdict.Gone)
            {
                _sandboxOf.TryUpdate(tenant.TenantId, null, sandbox);
            }
            return new(tenant, operation, response.StatusCode, retryAfter, problem, elapsed.TotalMilliseconds, DateTimeOffset.UtcNow,
                verdict == Verdict.Failed ? Trim(body) : null, verdict);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return new(tenant, operation, null, false, null, clock.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow, "connection refused", Verdict.Unreachable);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ResponseEnded
            || e.GetBaseException() is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return new(tenant, operation, null, false, null, clock.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow, e.GetBaseException().Message, Verdict.Cut);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            var what = e is TaskCanceledException ? $"no answer within {AnswerDeadline.TotalSeconds:0} s" : e.GetBaseException().Message;
            return new(tenant, operation, null, false, null, clock.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow, what, Verdict.Failed);
        }
    }

    private static Verdict Judge(HttpStatusCode status, bool retryAfter, Operation operation, TimeSpan elapsed) => (int)status switch
    {
        _ when elapsed > AnswerDeadline => Verdict.Failed,
        >= 200 and < 300 => Verdict.Served,
        503 or 429 when retryAfter => Verdict.Refused,
        404 or 410 when operation == Operation.SandboxExec => Verdict.Gone, // 410: its broker died (sandbox-lost)
        _ => Verdict.Failed,
    };

    private Task<HttpResponseMessage> SendAsync(HttpClient client, Operation operation, string? sandbox)
    {
        var n = Interlocked.Increment(ref _pointId);
        return operation switch
        {
            Operation.Chat => client.PostAsJsonAsync("/v1/chat/completions",
                new { model = "sim-small", messages = new[] { new { role = "user", content = $"steady traffic {n}" } }, max_tokens = 5 }),
            Operation.MemoryPut => client.PutAsJsonAsync("/v1/memory/faults/points",
                new { points = new[] { new { id = n, vector = Vector(n), payload = new { n } } } }),
            Operation.MemorySearch => client.PostAsJsonAsync("/v1/memory/faults/search", new { vector = Vector(n), limit = 3 }),
            Operation.SandboxExec => client.PostAsJsonAsync($"/v1/sandboxes/{sandbox}/exec", new { command = new[] { "true" }, timeoutSeconds = 5 }),
            Operation.SandboxCreate => client.PostAsJsonAsync("/v1/sandboxes", new { isolation = "bubblewrap" }),
            Operation.UsageRead => client.GetAsync("/v1/usage?groupBy=none"),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
    }

    private static float[] Vector(int n) => [1, n % 7, n % 11, n % 13];

    private async Task<string> PatientlyCreateSandboxAsync(TrafficTenant tenant, CancellationToken cancellationToken)
    {
        using var client = _platform.Gateway(tenant.Key);
        var response = await Patiently(() => client.PostAsJsonAsync("/v1/sandboxes", new { isolation = "bubblewrap" }, cancellationToken), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Sandbox for {tenant.Tier} tenant answered {(int)response.StatusCode}: {body}");
        }
        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        _sandboxes.Add((tenant, id));
        return id;
    }

    /// <summary>Retries a call answered 429/503 (or not at all) for up to a minute: for set-up and clean-up only.</summary>
    public static async Task<HttpResponseMessage> Patiently(Func<Task<HttpResponseMessage>> call, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        while (true)
        {
            try
            {
                var response = await call();
                if ((int)response.StatusCode is not (429 or 502 or 503) || DateTimeOffset.UtcNow > deadline)
                {
                    return response;
                }
            }
            catch (HttpRequestException) when (DateTimeOffset.UtcNow < deadline)
            {
                // the Gateway restarting
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested && DateTimeOffset.UtcNow < deadline)
            {
                // no answer within the client's timeout (a set-up call through a traffic client): ask again
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    private static string Trim(string body) => body.Length > 300 ? body[..300] : body;

    public ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
