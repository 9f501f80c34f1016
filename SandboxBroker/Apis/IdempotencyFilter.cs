using AgentCloud.Platform.Contracts;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCloud.Platform;
using AgentCloud.Platform.Faults;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>
/// Honours <c>Idempotency-Key</c> on the POSTs it is put on (sandbox create, exec): the first call with a key runs and
/// its successful answer is kept in Redis for <see cref="Ttl"/>; a retry with the same key by the same tenant for the
/// same address and body gets that answer again (<c>Idempotent-Replayed: true</c>) and nothing runs, mints or bills
/// twice. A retry while the first is still running gets 409 with Retry-After; the same key with a different body, 422.
/// A failed call keeps nothing, so its retry runs. Without Redis no keyed call runs (503): it could not be kept once.
/// </summary>
public sealed class IdempotencyFilter(IConnectionMultiplexer redis, IOptions<JsonOptions> json, ILogger<IdempotencyFilter> logger) : IEndpointFilter
{
    public const string Header = PlatformHeaders.IdempotencyKey;
    public const string ReplayedHeader = "Idempotent-Replayed";
    public static readonly TimeSpan Ttl = TimeSpan.FromHours(24);

    // A call still running holds its key this long at most (the longest exec and then some), should the broker die mid-call.
    private static readonly TimeSpan PendingTtl = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(500);

    /// <summary>Put on every POST of a group: <c>api.AddEndpointFilterFactory(IdempotencyFilter.OnPosts)</c>.</summary>
    public static EndpointFilterDelegate OnPosts(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        if (context.MethodInfo.DeclaringType == typeof(SandboxPortsApi))
        {
            // Requests to a tenant's own server inside: an Idempotency-Key there is that server's business.
            return next;
        }
        var filter = ActivatorUtilities.CreateInstance<IdempotencyFilter>(context.ApplicationServices);
        return invocation => HttpMethods.IsPost(invocation.HttpContext.Request.Method) ? filter.InvokeAsync(invocation, next) : next(invocation);
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var supplied = http.Request.Headers[Header].ToString();
        if (supplied.Length == 0 || http.Features.Get<TenantContext>() is not { } caller)
        {
            return await next(context);
        }
        if (supplied.Length > 255 || supplied.Any(c => c is < '!' or > '~'))
        {
            return Problems.BadRequest($"'{Header}' must be 1 to 255 visible ASCII characters, such as a UUID.");
        }
        var key = (RedisKey)$"idempotency:{{t:{caller.TenantId}}}:{Hash(http.Request.Path + "\n" + supplied)}";
        var fingerprint = Hash(JsonSerializer.Serialize(context.Arguments.Where(IsRequestBody), json.Value.SerializerOptions));
        var db = redis.GetDatabase();

        var claimed = await StoreDeadline.RunAsync("idempotency", Deadline,
            _ => db.StringSetAsync(key, Pending(fingerprint), PendingTtl, When.NotExists), http.RequestAborted);
        if (!claimed)
        {
            return await EarlierAnswerAsync(db, key, fingerprint, http.RequestAborted);
        }
        object? result;
        try
        {
            result = await next(context);
        }
        catch
        {
            await ForgetAsync(db, key);
            throw;
        }
        if (StoredAnswer.From(result, json.Value.SerializerOptions) is { } answer)
        {
            await KeepAsync(db, key, new Entry(fingerprint, answer));
        }
        else
        {
            await ForgetAsync(db, key); // a refusal or failure: the retry should run
        }
        return result;
    }

    private static async Task<object?> EarlierAnswerAsync(IDatabase db, RedisKey key, string fingerprint, CancellationToken cancellationToken)
    {
        var stored = await StoreDeadline.RunAsync("idempotency", Deadline, _ => db.StringGetAsync(key), cancellationToken);
        var entry = stored.HasValue ? JsonSerializer.Deserialize<Entry>(stored.ToString()) : null;
        if (entry is null)
        {
            return Refusal(409, "The first call with this Idempotency-Key just ended without an answer to keep; retry it.");
        }
        if (entry.Fingerprint != fingerprint)
        {
            return Problems.Create(422, "idempotency-key-reused", "Idempotency key reused",
                $"This {Header} was used with a different request; use a new key for a new request.");
        }
        return entry.Answer is { } answer
            ? answer
            : Refusal(409, $"The first call with this {Header} is still running; retry after it ends to get its answer.");
    }

    private static IResult Refusal(int status, string detail) => new RetryLater(Problems.Create(status, "idempotency-in-progress", "Call in progress", detail));

    private async Task KeepAsync(IDatabase db, RedisKey key, Entry entry)
    {
        try
        {
            await db.StringSetAsync(key, JsonSerializer.Serialize(entry), Ttl).WaitAsync(Deadline);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The call ran; its retry finds the pending mark (409) until that expires, rather than running twice.
            logger.LogWarning(e, "Could not keep the answer for an idempotency key; retries get 409 until {Ttl} passes", PendingTtl);
        }
    }

    private async Task ForgetAsync(IDatabase db, RedisKey key)
    {
        try
        {
            await db.KeyDeleteAsync(key).WaitAsync(Deadline);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Could not release an idempotency key; its retry gets 409 until it expires");
        }
    }

    private static string Pending(string fingerprint) => JsonSerializer.Serialize(new Entry(fingerprint, null));

    private static bool IsRequestBody(object? argument) =>
        argument is not null && argument.GetType().Name.EndsWith("Request", StringComparison.Ordinal)
        && argument.GetType().Namespace?.StartsWith("AgentCloud.", StringComparison.Ordinal) == true;

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>What Redis keeps per key: the request's fingerprint and, once it succeeded, its answer.</summary>
    public sealed record Entry(string Fingerprint, StoredAnswer? Answer);

    /// <summary>A successful answer as it was sent: status, Location (for a create) and the JSON body.</summary>
    public sealed record StoredAnswer(int Status, string? Location, string Body) : IResult
    {
        public static StoredAnswer? From(object? result, JsonSerializerOptions options)
        {
            if (result is INestedHttpResult nested)
            {
                result = nested.Result;
            }
            if (result is not (IStatusCodeHttpResult { StatusCode: >= 200 and < 300 } status and IValueHttpResult value))
            {
                return null;
            }
            var location = result.GetType().GetProperty("Location")?.GetValue(result) as string;
            var body = value.Value is null ? "null" : JsonSerializer.Serialize(value.Value, value.Value.GetType(), options);
            return new StoredAnswer(status.StatusCode!.Value, location, body);
        }

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = Status;
            httpContext.Response.Headers[ReplayedHeader] = "true";
            if (Location is not null)
            {
                httpContext.Response.Headers.Location = Location;
            }
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            await httpContext.Response.WriteAsync(Body);
        }
    }

    private sealed class RetryLater(IResult problem) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.RetryAfter = "1";
            return problem.ExecuteAsync(http);
        }
    }
}
