using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// The budget flags <c>projects create</c> and <c>projects update</c> share. The ControlPlane checks the values (and says
/// what is wrong), so the CLI keeps no second copy of its rules; it only puts what was given in the body.
/// </summary>
internal sealed class ProjectBudgetOptions
{
    private readonly Option<long?> _tokensPerMinute;
    private readonly Option<long?> _tokensPerPeriod = new("--tokens-per-period") { Description = "Weighted tokens per period, shared by the project's keys (0 removes it)" };
    private readonly Option<decimal?> _dollarsPerPeriod = new("--dollars-per-period") { Description = "US dollars per period at the models' prices, e.g. 10 or 2.50 (0 removes it)" };
    private readonly Option<string?> _period = new("--period") { Description = "The period budgets count in, UTC: day, week (from Monday) or month (the default)" };
    private readonly Option<string?> _alertThresholds = new("--alert-thresholds") { Description = "Percents of a budget at which to alert, comma-separated (default 80,100)" };

    public ProjectBudgetOptions(string tokensPerMinuteDescription)
    {
        _tokensPerMinute = new("--tokens-per-minute") { Description = tokensPerMinuteDescription };
        _period.AcceptOnlyFromAmong("day", "week", "month");
    }

    public IEnumerable<Option> All => [_tokensPerMinute, _tokensPerPeriod, _dollarsPerPeriod, _period, _alertThresholds];

    /// <summary>Adds each budget flag given on the command line to <paramref name="body"/>.</summary>
    public void WriteGiven(ParseResult parse, JsonObject body)
    {
        if (parse.GetValue(_tokensPerMinute) is { } tpm) body["tokensPerMinute"] = tpm;
        if (parse.GetValue(_tokensPerPeriod) is { } tokens) body["tokensPerPeriod"] = tokens;
        if (parse.GetValue(_dollarsPerPeriod) is { } dollars) body["dollarsPerPeriod"] = dollars;
        if (parse.GetValue(_period) is { } period) body["period"] = period;
        if (parse.GetValue(_alertThresholds) is { } thresholds) body["alertThresholds"] = Thresholds(thresholds);
    }

    private static JsonArray Thresholds(string given)
    {
        var percents = new JsonArray();
        foreach (var part in given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, out var percent))
            {
                throw new CliUsageException($"--alert-thresholds takes whole percents separated by commas (e.g. 50,80,100), not '{part}'.");
            }
            percents.Add(percent);
        }
        return percents;
    }
}
