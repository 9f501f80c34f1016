namespace AgentCloud.SandboxBroker.Egress;

/// <summary>
/// A tenant's egress allowlist: exact host names (<c>api.github.com</c>) and wildcard patterns
/// (<c>*.example.org</c>: any subdomain, not the apex). Case-insensitive; empty means deny everything.
/// </summary>
public sealed class DomainAllowlist(IEnumerable<string> patterns)
{
    private readonly string[] _patterns = patterns.Select(Normalize).Where(p => p.Length > 0).ToArray();

    public bool IsEmpty => _patterns.Length == 0;

    public bool Allows(string host)
    {
        var h = Normalize(host);
        if (h.Length == 0 || h.Contains('*'))
        {
            return false;
        }
        foreach (var p in _patterns)
        {
            if (p == h)
            {
                return true;
            }
            if (p.StartsWith("*.", StringComparison.Ordinal) && h.Length > p.Length - 1 && h.EndsWith(p[1..], StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private static string Normalize(string s) => s.Trim().TrimEnd('.').ToLowerInvariant();
}
