namespace AgentCloud.Gateway.Auth;

/// <summary>Reads <c>Authorization: Bearer &lt;token&gt;</c>; any other scheme, or several headers, is no token.</summary>
public static class BearerToken
{
    public static string? From(HttpRequest request)
    {
        var values = request.Headers.Authorization;
        if (values.Count != 1)
        {
            return null;
        }
        var header = values[0] ?? "";
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = header[scheme.Length..].Trim();
        return token.Length is > 0 and <= 512 ? token : null;
    }
}
