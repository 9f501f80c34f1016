using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// An audit event a platform service (not a tenant's request) records in a tenant's trail, sent on the Redis stream
/// <see cref="StreamName"/> and appended once, by event id, by the ControlPlane. Only <see cref="Actions"/> are accepted.
/// </summary>
public sealed partial record PlatformAuditEntry(string EventId, string TenantId, string Actor, string Action, string Data)
{
    public const string StreamName = "platform-audit";

    /// <summary>Entries the ControlPlane refused (malformed, unknown tenant, action not allowed), with the reason.</summary>
    public const string DeadLetterStreamName = "platform-audit-dead";

    public const string EgressDenied = "egress.denied";

    /// <summary>A Gateway's refused calls of one window, counted by reason and source, in the platform's own trail.</summary>
    public const string KeysRefused = "keys.refused";

    /// <summary>A tool call through the MCP gateway (tool, outcome, duration, SHA-256 of the arguments).</summary>
    public const string ToolCalled = "tool.called";

    /// <summary>Action name → the prefix its actor must carry (the service kind that may emit it).</summary>
    public static readonly IReadOnlyDictionary<string, string> Actions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [EgressDenied] = "sandbox:",
        [KeysRefused] = "gateway:",
        [ToolCalled] = "tools:",
    };

    /// <summary>The actions recorded in the platform's own trail (tenant id <c>_platform</c>) rather than a tenant's.</summary>
    public static readonly IReadOnlySet<string> PlatformTrailActions = new HashSet<string>(StringComparer.Ordinal) { KeysRefused };

    public const int MaxDataBytes = 4096;

    public IReadOnlyList<KeyValuePair<string, string>> ToStreamFields() =>
    [
        new("eventId", EventId), new("tenantId", TenantId), new("actor", Actor), new("action", Action), new("data", Data),
    ];

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,128}$")]
    private static partial Regex Token();

    /// <summary>Reads and checks an entry: ids of a safe alphabet, an allowed action with its actor kind, data a small JSON object.</summary>
    public static PlatformAuditEntry? TryParse(IReadOnlyDictionary<string, string> fields, out string problem)
    {
        string? Get(string name) => fields.TryGetValue(name, out var v) ? v : null;
        var (eventId, tenantId, actor, action, data) = (Get("eventId"), Get("tenantId"), Get("actor"), Get("action"), Get("data"));
        problem = "";
        foreach (var (name, value) in new[] { ("eventId", eventId), ("tenantId", tenantId), ("actor", actor), ("action", action) })
        {
            if (value is null || !Token().IsMatch(value))
            {
                problem = $"field '{name}' is missing or not 1-128 letters, digits and _.:-";
                return null;
            }
        }
        if (!Actions.TryGetValue(action!, out var actorPrefix))
        {
            problem = $"action '{action}' is not one platform services may record";
            return null;
        }
        if (!actor!.StartsWith(actorPrefix, StringComparison.Ordinal))
        {
            problem = $"action '{action}' must come from an actor '{actorPrefix}…', not '{actor}'";
            return null;
        }
        if (data is null || System.Text.Encoding.UTF8.GetByteCount(data) > MaxDataBytes)
        {
            problem = $"field 'data' is missing or longer than {MaxDataBytes} bytes";
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(data);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                problem = "field 'data' must be a JSON object";
                return null;
            }
        }
        catch (JsonException)
        {
            problem = "field 'data' is not JSON";
            return null;
        }
        return new PlatformAuditEntry(eventId!, tenantId!, actor, action!, data);
    }
}
