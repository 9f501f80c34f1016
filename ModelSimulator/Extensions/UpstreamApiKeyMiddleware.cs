using System.Security.Cryptography;
using System.Text;
using AgentCloud.Platform;
using Microsoft.Extensions.Options;

namespace AgentCloud.ModelSimulator.Extensions;

/// <summary>Refuses every call (health aside) that does not present the upstream API key, compared in constant time.</summary>
internal sealed class UpstreamApiKeyMiddleware(RequestDelegate next, IOptions<SimulatorOptions> options)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKey));

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Request.Path.StartsWithSegments(Extensions.HealthPath) || http.Request.Path.StartsWithSegments(Extensions.AlivePath))
        {
            await next(http);
            return;
        }
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        if (presented.Length == 0 || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected))
        {
            await Problems.Unauthorized("The model server needs its upstream API key as a Bearer token.").ExecuteAsync(http);
            return;
        }
        await next(http);
    }
}
