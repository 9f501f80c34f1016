using System.Globalization;
using System.Text;
using AgentCloud.UsageAggregator.Data;

namespace AgentCloud.UsageAggregator.Apis;

/// <summary>
/// The chargeback export: one line per tenant and model or sandbox level (by key: per tenant, key and model or sandbox
/// level, with a <c>key</c> column after <c>tenant_id</c>), safe to open in a spreadsheet.
/// </summary>
public static class ChargebackCsv
{
    public const string Header = "tenant_id,kind,resource,from,to,events,input_tokens,cached_input_tokens,output_tokens,weighted_tokens,sandbox_seconds,cost,tool_calls,tool_seconds";

    public const string HeaderByKey = "tenant_id,key,kind,resource,from,to,events,input_tokens,cached_input_tokens,output_tokens,weighted_tokens,sandbox_seconds,cost,tool_calls,tool_seconds";

    public static string Write(IReadOnlyList<UsageRow> rows, UsagePeriod period, bool byKey = false)
    {
        var sb = new StringBuilder(byKey ? HeaderByKey : Header).Append('\n');
        var from = period.From.ToString("O", CultureInfo.InvariantCulture);
        var to = period.To.ToString("O", CultureInfo.InvariantCulture);
        foreach (var r in rows)
        {
            sb.Append(Field(r.TenantId)).Append(',');
            if (byKey)
            {
                sb.Append(Field(r.Key ?? "")).Append(',');
            }
            sb.Append(Field(r.Kind ?? "")).Append(',').Append(Field(r.Model ?? "")).Append(',')
              .Append(from).Append(',').Append(to).Append(',')
              .Append(CultureInfo.InvariantCulture, $"{r.Events},{r.InputTokens},{r.CachedInputTokens},{r.OutputTokens},{r.WeightedTokens},{r.SandboxSeconds},{r.Cost},{r.ToolCalls},{r.ToolSeconds}")
              .Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Quotes when needed, and defuses values a spreadsheet would run as a formula.</summary>
    private static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
