namespace AgentCloud.SandboxBroker.Egress;

/// <summary>The target of a proxy request: <c>CONNECT host:port</c>, or an absolute-form <c>http://host[:port]/path</c> request.</summary>
public sealed record ProxyRequest(string Host, int Port, bool IsConnect, string OriginFormHead)
{
    public static ProxyRequest? Parse(string head)
    {
        var lineEnd = head.IndexOf("\r\n", StringComparison.Ordinal);
        var requestLine = lineEnd < 0 ? head : head[..lineEnd];
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }
        if (parts[0] == "CONNECT")
        {
            var colon = parts[1].LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(parts[1][(colon + 1)..], out var port) || port is < 1 or > 65535)
            {
                return null;
            }
            var host = parts[1][..colon].Trim('[', ']');
            return new ProxyRequest(host, port, true, "");
        }
        if (!Uri.TryCreate(parts[1], UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || string.IsNullOrEmpty(uri.Host))
        {
            return null;
        }
        var originHead = $"{parts[0]} {uri.PathAndQuery} {parts[2]}" + (lineEnd < 0 ? "\r\n\r\n" : head[lineEnd..]);
        return new ProxyRequest(uri.IdnHost.Trim('[', ']'), uri.Port, false, originHead);
    }
}
