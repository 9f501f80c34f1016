using System.Text.RegularExpressions;
using AgentCloud.Platform.Contracts;
using AgentCloud.UsageAggregator.Tenants;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Ingestion;

/// <summary>What became of one stream entry: a valid event, or the reason it goes to the dead-letter stream.</summary>
public readonly record struct ValidatedEntry(StreamEntry Entry, UsageEvent? Event, string? Problem, string? ProblemKind);

/// <summary>Turns stream entries into events, refusing malformed ones and those of unknown or offboarded tenants.</summary>
public sealed class UsageEventValidator(IOptions<UsageIngestionOptions> options, OffboardedTenants offboarded)
{
    public const string Malformed = "malformed";
    public const string UnknownTenant = "unknown-tenant";

    private readonly Regex _tenantId = new(options.Value.TenantIdPattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public ValidatedEntry Validate(StreamEntry entry)
    {
        if (entry.IsNull || entry.Values is null || entry.Values.Length == 0)
        {
            return new(entry, null, "the entry has no fields", Malformed);
        }
        UsageEvent? parsed;
        string? problem;
        try
        {
            // The current format, one JSON field, is read from its bytes without building strings for it first.
            parsed = entry.Values is [{ Name: var name, Value: var value }] && name == UsageEvent.EncodedField
                ? UsageEvent.FromEncoded(((ReadOnlyMemory<byte>)value).Span, out problem)
                : UsageEvent.FromStreamFields(Fields(entry), out problem);
        }
        catch (ArgumentOutOfRangeException)
        {
            return new(entry, null, "field 'startedAt' is outside any representable time", Malformed);
        }
        problem ??= parsed is null ? "unreadable event" : Implausible(parsed);
        if (parsed is null || problem is not null)
        {
            return new(entry, null, problem, Malformed);
        }
        if (!_tenantId.IsMatch(parsed.TenantId))
        {
            return new(entry, null, $"unknown tenant '{parsed.TenantId}': not a tenant id", UnknownTenant);
        }
        if (offboarded.Contains(parsed.TenantId))
        {
            return new(entry, null, $"unknown tenant '{parsed.TenantId}': offboarded", UnknownTenant);
        }
        return new(entry, parsed, null, null);
    }

    // A repeated field name keeps its last value, as Redis clients read it.
    private static Dictionary<string, string> Fields(StreamEntry entry)
    {
        var fields = new Dictionary<string, string>(entry.Values.Length, StringComparer.Ordinal);
        foreach (var nv in entry.Values)
        {
            fields[nv.Name.ToString()] = nv.Value.ToString();
        }
        return fields;
    }

    /// <summary>Values the parser accepts but the ledger must not: they would overflow a rollup or be refused by Postgres and block the stream.</summary>
    private static string? Implausible(UsageEvent e)
    {
        (string Name, string? Value)[] texts =
        [
            ("eventId", e.EventId), ("tenantId", e.TenantId), ("principal", e.Principal), ("runId", e.RunId), ("projectId", e.ProjectId), ("kind", e.Kind),
            ("resource", e.Resource), ("endpoint", e.Endpoint), ("placement", e.Placement), ("status", e.Status),
        ];
        foreach (var (name, value) in texts)
        {
            if (value is null)
            {
                continue;
            }
            if (value.Length > MaxTextLength)
            {
                return $"field '{name}' is longer than {MaxTextLength} characters";
            }
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                return $"field '{name}' contains a NUL character";
            }
        }
        foreach (var (name, value) in new[] { ("inputTokens", e.InputTokens), ("cachedInputTokens", e.CachedInputTokens), ("outputTokens", e.OutputTokens), ("weightedTokens", e.WeightedTokens) })
        {
            if (value > MaxTokens)
            {
                return $"field '{name}' is {value}, more than the {MaxTokens} tokens one event may carry";
            }
        }
        if (e.SandboxSeconds > MaxSandboxSeconds)
        {
            return $"field 'sandboxSeconds' is {e.SandboxSeconds}, more than the {MaxSandboxSeconds} seconds one event may carry";
        }
        if (e.StartedAt > DateTimeOffset.UtcNow.AddDays(1))
        {
            return $"field 'startedAt' is {e.StartedAt:O}, in the future";
        }
        return null;
    }

    private const int MaxTextLength = 512;
    private const long MaxTokens = 1_000_000_000_000;
    private const double MaxSandboxSeconds = 1_000_000_000;
}
