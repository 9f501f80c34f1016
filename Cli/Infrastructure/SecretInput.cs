using System.Text;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>
/// Reads a key without it ever being on a command line (where other users see it in the process list): from standard
/// input when it is redirected, else from <c>AGENTCLOUD_KEY</c>, else typed at the terminal without echo.
/// </summary>
public static class SecretInput
{
    public static string? ReadKey(CliContext context)
    {
        if (context.Stdin is { } stdin && stdin.ReadLine()?.Trim() is { Length: > 0 } piped)
        {
            return piped;
        }
        if (context.Env("AGENTCLOUD_KEY")?.Trim() is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }
        return context.Interactive && context.Stdin is null && !Console.IsInputRedirected ? Prompt(context.Error) : null;
    }

    private static string? Prompt(TextWriter prompt)
    {
        prompt.Write("API key (not shown): ");
        var typed = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (typed.Length > 0) typed.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }
        prompt.WriteLine();
        return typed.Length > 0 ? typed.ToString().Trim() : null;
    }
}
