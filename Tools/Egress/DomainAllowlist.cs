namespace AgentCloud.Tools.Egress;

/// <summary>
/// A tenant's egress allowlist as the sandboxes' proxy reads it: exact hosts (<c>api.github.com</c>) and wildcards
/// (<c>*.example.org</c>: any subdomain, not the apex); case-insensitive; empty denies everything.
/// </summary>
public static class DomainAllowlist
{
    public static bool Allows(IEnumerable<string> patterns, string host)
    {
        var h = Normalize(host);
        if (h.Length == 0 || h.Contains('*'))
        {
            return false;
        }
        foreach (var p in patterns.Select(Normalize))
        {
            if (p == h || (p.StartsWith("*.", StringComparison.Ordinal) && h.Length > p.Length - 1 && h.EndsWith(p[1..], StringComparison.Ordinal)))
            {
                return true;
            }
        }
        return false;
    }

    private static string Normalize(string s) => s.Trim().TrimEnd('.').ToLowerInvariant();
}
