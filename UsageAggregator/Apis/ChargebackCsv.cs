using System.Globalization;
using System.Text;
using AgentCloud.UsageAggregator.Data;

namespace AgentCloud.UsageAggregator.Apis;

/// <summary>
/// The chargeback export, safe to open in a spreadsheet: one line per tenant and model or sandbox level, split per
/// project (<c>groupBy=project</c>) or per key (<c>groupBy=key</c>). Every grouping has the same header: the original
/// columns in their original order, then <c>project_id</c> and <c>key</c>, empty where the grouping does not split by them
/// (and <c>project_id</c> empty on the line of keys of no project).
/// </summary>
public static class ChargebackCsv
{
    public const string Header = "tenant_id,kind,resource,from,to,events,input_tokens,cached_input_tokens,output_tokens,weighted_tokens,sandbox_seconds,cost,tool_calls,tool_seconds,project_id,key";

    public static string Write(IReadOnlyList<UsageRow> rows, UsagePeriod period)
    {
        var sb = new StringBuilder(Header).Append('\n');
        var from = period.From.ToString("O", CultureInfo.InvariantCulture);
        var to = period.To.ToString("O", CultureInfo.InvariantCulture);
        foreach (var r in rows)
        {
            sb.Append(Field(r.TenantId)).Append(',')
              .Append(Field(r.Kind ?? "")).Append(',').Append(Field(r.Model ?? "")).Append(',')
              .Append(from).Append(',').Append(to).Append(',')
              .Append(CultureInfo.InvariantCulture, $"{r.Events},{r.InputTokens},{r.CachedInputTokens},{r.OutputTokens},{r.WeightedTokens},{r.SandboxSeconds},{r.Cost},{r.ToolCalls},{r.ToolSeconds}")
              .Append(',').Append(Field(r.ProjectId ?? "")).Append(',').Append(Field(r.Key ?? ""))
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
