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
        var onward = headers.Where(h => h.Key.StartsWith(TenantContextHeaders.OnwardPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(h => KeyValuePair.Create(h.Key, h.Value.ToString()));
        return Attach(request, headers[TenantContextHeaders.Context].ToString(), onward, service);
    }

    /// <summary>
    /// Puts the onward context for <paramref name="service"/> out of <paramref name="onward"/> on <paramref name="request"/>,
    /// with the others alongside; without one (a caller that signed for several services at once, as tests do) the
    /// caller's own <paramref name="ownToken"/> is sent. False when there is no context at all.
    /// </summary>
    public static bool Attach(HttpRequestMessage request, string? ownToken, IEnumerable<KeyValuePair<string, string>> onward, string service)
    {
        var target = TenantContextHeaders.OnwardFor(service);
        string? token = null;
        var others = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in onward)
        {
            if (name.Equals(target, StringComparison.OrdinalIgnoreCase))
            {
                token = value;
            }
            else if (name.StartsWith(TenantContextHeaders.OnwardPrefix, StringComparison.OrdinalIgnoreCase))
            {
                others.Add(KeyValuePair.Create(name, value));
            }
        }
        token = string.IsNullOrEmpty(token) ? ownToken : token;
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }
        request.Headers.Remove(TenantContextHeaders.Context);
        request.Headers.TryAddWithoutValidation(TenantContextHeaders.Context, token);
        foreach (var (name, value) in others)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return true;
    }
}
