using System.Text.Json;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.Tools.Catalog;

/// <summary>
/// One call of a tool: who calls (and the signed context to forward on their behalf), the arguments, and the
/// secrets revealed for this call so far, which are scrubbed from everything the caller gets back.
/// </summary>
public sealed class ToolInvocation(
    TenantContext caller, string contextToken, IReadOnlyDictionary<string, JsonElement> arguments,
    IReadOnlyDictionary<string, string>? onwardContexts = null)
{
    private readonly IReadOnlyDictionary<string, string> _onward = onwardContexts ?? new Dictionary<string, string>();

    private readonly List<string> _secrets = [];

    public TenantContext Caller { get; } = caller;

    /// <summary>The caller's Gateway-signed context, forwarded to platform services so they act for the caller only.</summary>
    public string ContextToken { get; } = contextToken;

    public IReadOnlyDictionary<string, JsonElement> Arguments { get; } = arguments;

    /// <summary>
    /// Puts the caller's context for <paramref name="service"/> on a request: the onward context the Gateway minted for
    /// that service (each service accepts only contexts minted for it), plus the other onward contexts so the service can
    /// go one hop further. Without one (tests signing for several services at once) the caller's own token is sent.
    /// </summary>
    public void AttachContext(HttpRequestMessage request, string service) => OnwardContext.Attach(request, ContextToken, _onward, service);

    /// <summary>The onward contexts the Gateway minted for the services this call may reach.</summary>
    public IReadOnlyDictionary<string, string> OnwardContexts => _onward;

    public IReadOnlyList<string> Secrets => _secrets;

    /// <summary>Remembers a credential used by this call so no answer or error can carry it back.</summary>
    public void UsesSecret(string secret)
    {
        if (secret.Length > 0)
        {
            _secrets.Add(secret);
        }
    }

    public string? String(string name) =>
        Arguments.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public int? Int(string name) =>
        Arguments.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;

    /// <summary>Replaces every revealed secret (and its common encodings) in a text bound for the caller.</summary>
    public string Scrub(string text)
    {
        foreach (var s in _secrets)
        {
            text = text.Replace(s, "[credential removed]", StringComparison.Ordinal)
                .Replace(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(s)), "[credential removed]", StringComparison.Ordinal)
                .Replace(Uri.EscapeDataString(s), "[credential removed]", StringComparison.Ordinal);
        }
        return text;
    }
}

/// <summary>A refusal a tool states for the caller (bad arguments, a host off the allowlist): shown as a tool error.</summary>
public sealed class ToolRefusal(string message) : Exception(message);
