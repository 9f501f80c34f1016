namespace AgentCloud.Cli.Tests;

/// <summary>Runs the CLI in-process with captured output and a chosen environment.</summary>
internal static class CliHarness
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, env: name =>
            name == "AGENTCLOUD_PROFILE_FILE" ? "/nonexistent/profiles.json" : env?.GetValueOrDefault(name));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => RunAsync(null, args);
}
