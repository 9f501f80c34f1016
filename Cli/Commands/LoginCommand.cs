using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// <c>agentcloud login [--profile NAME] [--url URL]</c>: checks a key against the Gateway and saves it with the URL as a
/// profile, which later commands use without <c>--key</c>. The key comes from standard input, <c>AGENTCLOUD_KEY</c> or
/// a prompt, never from the command line.
/// </summary>
internal static class LoginCommand
{
    public static Command Build(CliRunner runner, GlobalOptions globals)
    {
        var noVerify = new Option<bool>("--no-verify") { Description = "Save without checking the key against the Gateway" };
        var login = new Command("login",
            "Save the Gateway URL and a key as a profile; the key is read from stdin (agentcloud login < keyfile), AGENTCLOUD_KEY or a prompt")
        {
            noVerify,
        };
        runner.Bind(login, async (c, ct) =>
        {
            if (c.Parse.GetValue(globals.Key) is not null)
            {
                throw new CliUsageException("login does not take --key: a key on a command line is visible to other users of this machine. " +
                    "Pipe it on stdin (agentcloud login < keyfile), set AGENTCLOUD_KEY, or type it at the prompt.");
            }
            var key = SecretInput.ReadKey(c)
                ?? throw new CliUsageException("No key to save: pipe it on stdin (agentcloud login < keyfile), set AGENTCLOUD_KEY, or run login at a terminal.");
            var settings = c.Gateway.Settings with { Key = key };
            var kind = IsTenantKey(key) ? "tenant" : "operator";
            if (!c.Parse.GetValue(noVerify))
            {
                await VerifyAsync(c.Connect(settings), kind, ct);
            }
            var name = CliSettings.ProfileName(c.Parse.GetValue(globals.Profile), c.Env);
            var file = CliSettings.ProfileFile(c.Env);
            ProfileStore.Save(file, name, settings.Url, key);
            if (c.Output.Json)
            {
                c.Output.WriteJson(new JsonObject { ["profile"] = name, ["url"] = settings.Url.ToString(), ["kind"] = kind, ["file"] = file });
            }
            else
            {
                c.Output.WriteLine($"Saved profile '{name}' ({kind} key) for {settings.Url} in {file}.");
            }
            return ExitCodes.Ok;
        }, makesProfile: true);
        return login;
    }

    /// <summary>Tenant keys have one shape (<c>ac_…_…</c>); anything else can only be the operator key.</summary>
    private static bool IsTenantKey(string key) => key.StartsWith("ac_", StringComparison.Ordinal) && key.Count(ch => ch == '_') >= 2;

    /// <summary>
    /// A tenant key is good when the Gateway knows it: a 403 for lack of <c>inference</c> still proves it. An operator
    /// key is good when the tenant list answers. A refused key throws, so nothing is saved.
    /// </summary>
    private static async Task VerifyAsync(GatewayClient gateway, string kind, CancellationToken ct)
    {
        try
        {
            await gateway.GetAsync(kind == "tenant" ? "/v1/models" : "/admin/v1/tenants", ct);
        }
        catch (ApiException e) when (kind == "tenant" && e.Status == HttpStatusCode.Forbidden)
        {
            // known to the Gateway, without the inference capability
        }
    }
}
