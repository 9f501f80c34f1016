using Microsoft.AspNetCore.Http;

namespace AgentCloud.Platform.Tenancy;

/// <summary>
/// How a service calls another on the caller's behalf: it sends the onward context the Gateway minted for that service
/// (<see cref="TenantContextHeaders.OnwardPrefix"/>), never its own context, which the other service would refuse as
/// minted for someone else. The remaining onward contexts travel along so the next service can go one hop further.
/// </summary>
public static class OnwardContext
{
    /// <summary>Puts the caller's context for <paramref name="service"/> on <paramref name="request"/>; false when there is none.</summary>
    public static bool Attach(HttpRequestMessage request, HttpContext? caller, string service)
    {
        if (caller is null)
        {
            return false;
        }
        var headers = caller.Request.Headers;
        var onward = headers[TenantContextHeaders.OnwardFor(service)].ToString();
        // Without an onward context (a caller that signed for several services at once, as tests do) the own one is tried.
        var token = onward.Length > 0 ? onward : headers[TenantContextHeaders.Context].ToString();
        if (token.Length == 0)
        {
            return false;
        }
        request.Headers.Remove(TenantContextHeaders.Context);
        request.Headers.TryAddWithoutValidation(TenantContextHeaders.Context, token);
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith(TenantContextHeaders.OnwardPrefix, StringComparison.OrdinalIgnoreCase)
                && !name.Equals(TenantContextHeaders.OnwardFor(service), StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value.ToString());
            }
        }
        return true;
    }
}
