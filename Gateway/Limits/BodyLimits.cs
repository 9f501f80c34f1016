namespace AgentCloud.Gateway.Limits;

/// <summary>The largest body a route accepts: file uploads get the large limit, every other call the default.</summary>
public static class BodyLimits
{
    public static long For(string method, PathString path, RequestLimitsOptions limits) =>
        IsFileUpload(method, path) ? limits.MaxFileUploadBytes : limits.MaxBodyBytes;

    /// <summary><c>PUT /v1/sandboxes/{id}/files/{path...}</c>, and a folder's tar archive: <c>PUT /v1/sandboxes/{id}/archive[/{path...}]</c>.</summary>
    public static bool IsFileUpload(string method, PathString path)
    {
        if (!HttpMethods.IsPut(method) || !path.StartsWithSegments("/v1/sandboxes", StringComparison.OrdinalIgnoreCase, out var rest))
        {
            return false;
        }
        var segments = (rest.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        return (segments.Length >= 3 && segments[1].Equals("files", StringComparison.OrdinalIgnoreCase))
            || (segments.Length >= 2 && segments[1].Equals("archive", StringComparison.OrdinalIgnoreCase));
    }
}
