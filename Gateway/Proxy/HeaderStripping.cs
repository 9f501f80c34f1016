using System.Net.Http.Headers;

namespace AgentCloud.Gateway.Proxy;

/// <summary>Removes the headers a predicate names from an outgoing request, on every proxied call.</summary>
public static class HeaderStripping
{
    /// <summary>
    /// Reads names only (<see cref="HttpHeaders.NonValidated"/>: no value is parsed, and a value that does not parse is
    /// listed too, so none slips past), and makes a list only in the rare call that sent such a header.
    /// </summary>
    public static void Remove(HttpHeaders headers, Func<string, bool> stripped)
    {
        List<string>? doomed = null;
        foreach (var header in headers.NonValidated)
        {
            if (stripped(header.Key))
            {
                (doomed ??= []).Add(header.Key);
            }
        }
        if (doomed is null)
        {
            return;
        }
        foreach (var name in doomed)
        {
            headers.Remove(name);
        }
    }
}
