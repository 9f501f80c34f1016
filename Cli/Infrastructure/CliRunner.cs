using System.CommandLine;
using System.Net;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>
/// Runs a command's body and turns every failure into one clear line on stderr and a documented exit code.
/// </summary>
public sealed class CliRunner(GlobalOptions globals, Func<HttpClient> http, Func<string, string?> env, TextWriter stdout, TextWriter stderr, bool interactive)
{
    public void Bind(Command command, Func<CliContext, CancellationToken, Task<int>> body) =>
        command.SetAction((parse, ct) => RunAsync(parse, body, ct));

    private async Task<int> RunAsync(ParseResult parse, Func<CliContext, CancellationToken, Task<int>> body, CancellationToken ct)
    {
        try
        {
            var settings = CliSettings.Resolve(parse.GetValue(globals.Url), parse.GetValue(globals.Key), parse.GetValue(globals.Profile), env);
            var context = new CliContext(new GatewayClient(http(), settings), new CliOutput(stdout, parse.GetValue(globals.Json), interactive), parse) { Env = env };
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
