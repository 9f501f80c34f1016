using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>What a command prints: JSON for scripts (<c>--json</c>), tables and a progress display for people.</summary>
public sealed class CliOutput(TextWriter stdout, bool json, bool interactive)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(stdout),
        Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
    });

    public bool Json { get; } = json;

    /// <summary>Output that is not a terminal (a pipe, a log) gets wide tables instead of the 80-column default.</summary>
    public CliOutput WideWhenRedirected()
    {
        if (!interactive)
        {
            _console.Profile.Width = 200;
        }
        return this;
    }

    public void WriteJson(JsonNode? node) => stdout.WriteLine(node?.ToJsonString(Indented) ?? "null");

    public void WriteLine(string text) => stdout.WriteLine(text);

    public void Write(string text) => stdout.Write(text);

    /// <summary>One row per item of <paramref name="items"/>, one column per (header, JSON property) pair.</summary>
    public void WriteTable(IEnumerable<JsonNode?> items, params (string Header, string Property)[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var (header, _) in columns)
        {
            table.AddColumn(header);
        }
        foreach (var item in items)
        {
            table.AddRow(columns.Select(c => Markup.Escape(Text(item?[c.Property]))).ToArray());
        }
        _console.Write(table);
    }

    /// <summary>Key/value lines for a single object.</summary>
    public void WriteObject(JsonNode? node, params (string Label, string Property)[] fields)
    {
        var grid = new Grid().AddColumn().AddColumn();
        foreach (var (label, property) in fields)
        {
            grid.AddRow(Markup.Escape(label), Markup.Escape(Text(node?[property])));
        }
        _console.Write(grid);
    }

    /// <summary>Shows a spinner with <paramref name="status"/> while a long operation runs (people only).</summary>
    public Task<T> WithProgressAsync<T>(string status, Func<Task<T>> work) =>
        interactive && !Json
            ? _console.Status().Spinner(Spinner.Known.Dots).StartAsync(status, _ => work())
            : work();

    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a => string.Join(", ", a.Select(Text)),
        _ => node.ToJsonString(),
    };
}
