using System.CommandLine;
using System.Net;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>
/// Runs a command's body and turns every failure into one clear line on stderr and a documented exit code.
/// </summary>
public sealed class CliRunner(GlobalOptions globals, Func<HttpClient> http, Func<string, string?> env, TextWriter stdout, TextWriter stderr, bool interactive)
{
    /// <summary>Standard input when it is redirected (a pipe or a file), else null.</summary>
    public TextReader? Stdin { get; init; }

    /// <summary>Runs <paramref name="body"/> for the command; <paramref name="makesProfile"/>: the profile named need not exist yet.</summary>
    public void Bind(Command command, Func<CliContext, CancellationToken, Task<int>> body, bool makesProfile = false) =>
        command.SetAction((parse, ct) => RunAsync(parse, body, makesProfile, ct));

    private async Task<int> RunAsync(ParseResult parse, Func<CliContext, CancellationToken, Task<int>> body, bool makesProfile, CancellationToken ct)
    {
        try
        {
            var settings = makesProfile
                ? CliSettings.ForLogin(parse.GetValue(globals.Url), parse.GetValue(globals.Profile), env)
                : CliSettings.Resolve(parse.GetValue(globals.Url), parse.GetValue(globals.Key), parse.GetValue(globals.Profile), env);
            var context = new CliContext(new GatewayClient(http(), settings), new CliOutput(stdout, parse.GetValue(globals.Json), interactive), parse)
            {
                Env = env, Error = stderr, Stdin = Stdin, Interactive = interactive, Connect = s => new GatewayClient(http(), s),
            };
            return await body(context, ct);
        }
        catch (CliUsageException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
        catch (GatewayUnreachableException e)
        {
            return Fail(ExitCodes.Unreachable, e.Message);
        }
        catch (ApiException e)
        {
            return Fail(e.Status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Unauthorized,
                HttpStatusCode.NotFound => ExitCodes.NotFound,
                HttpStatusCode.TooManyRequests => ExitCodes.RateLimited,
                _ => ExitCodes.ApiError,
            }, e.RetryAfter is { } wait ? $"{e.Message} (retry after {wait.TotalSeconds:0} s)" : e.Message);
        }
    }

    private int Fail(int code, string message)
    {
        stderr.WriteLine($"agentcloud: {message}");
        return code;
    }
}
