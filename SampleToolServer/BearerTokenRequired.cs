using System.Security.Cryptography;
using System.Text;

namespace AgentCloud.SampleToolServer;

/// <summary>
/// Every MCP call needs <c>Authorization: Bearer &lt;token&gt;</c> (at least 16 characters). Each token is its own
/// ticket account, known here only by a hash: the server never echoes a token back.
/// </summary>
public sealed class BearerTokenRequired(RequestDelegate next)
{
    public const string AccountItem = "sample.account";

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Request.Path.StartsWithSegments("/health"))
        {
            await next(http);
            return;
        }
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || header.Length < "Bearer ".Length + 16)
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await http.Response.WriteAsJsonAsync(new { error = "a bearer token of at least 16 characters is required" });
            return;
        }
        http.Items[AccountItem] = AccountOf(header["Bearer ".Length..]);
        await next(http);
    }

    public static string AccountOf(string token) => "acct_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..12];
}
