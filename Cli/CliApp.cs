using System.CommandLine;
using AgentCloud.Cli.Commands;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli;

/// <summary>The <c>agentcloud</c> command tree, runnable in-process with its own writers (for tests).</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr,
        Func<HttpClient>? http = null, Func<string, string?>? env = null, bool interactive = false, TextReader? stdin = null)
    {
        var globals = new GlobalOptions();
        http ??= () => new HttpClient { Timeout = TimeSpan.FromSeconds(300) };
        var runner = new CliRunner(globals, http,
            env ?? Environment.GetEnvironmentVariable, stdout, stderr, interactive) { Stdin = stdin };
        var root = new RootCommand("agentcloud: drive the AgentCloud platform through its Gateway");
        foreach (var option in globals.All)
        {
            root.Options.Add(option);
        }
        root.Subcommands.Add(TenantsCommands.Build(runner));
        root.Subcommands.Add(KeysCommands.Build(runner));
        root.Subcommands.Add(ProjectsCommands.Build(runner));
        root.Subcommands.Add(LoginCommand.Build(runner, globals));
        root.Subcommands.Add(ModelsCommand.Build(runner));
        root.Subcommands.Add(ChatCommand.Build(runner));
        root.Subcommands.Add(SandboxCommands.Build(runner));
        root.Subcommands.Add(MemoryCommands.Build(runner));
        root.Subcommands.Add(UsageCommand.Build(runner));
        root.Subcommands.Add(ToolsCommands.Build(runner));
        root.Subcommands.Add(DemoCommand.Build(runner, http));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var message = string.Join(' ', parse.Errors[0].Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()));
            stderr.WriteLine($"agentcloud: {message} (see agentcloud --help)");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
