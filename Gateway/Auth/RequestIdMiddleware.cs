using AgentCloud.Platform.Contracts;
using System.Diagnostics;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Gives every call an <c>x-request-id</c> (the client's own when it is a short safe token, else a new one),
/// echoes it on the answer and passes it upstream so logs across services line up.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = PlatformHeaders.RequestId;

    public Task InvokeAsync(HttpContext http)
    {
        var given = http.Request.Headers[Header];
        var id = given.Count == 1 && IsSafe(given[0]) ? given[0]! : Guid.NewGuid().ToString("N");
        http.Request.Headers[Header] = id;
        http.Response.Headers[Header] = id;
        Activity.Current?.SetTag("request.id", id);
        return next(http);
    }

    private static bool IsSafe(string? value) =>
        value is { Length: > 0 and <= 64 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
