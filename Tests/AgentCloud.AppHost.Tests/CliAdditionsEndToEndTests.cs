using System.Text.Json.Nodes;
using AgentCloud.Cli;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// <c>login</c>, <c>models</c>, <c>keys list</c>, <c>tenants update</c> and the exit code of <c>sandbox exec</c> against the
/// running platform.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class CliAdditionsEndToEndTests(PlatformFixture platform) : IDisposable
{
    private readonly string _profiles = Path.Combine(Path.GetTempPath(), $"agentcloud-e2e-{Guid.NewGuid():N}", "profiles.json");

    private string Url => $"http://127.0.0.1:{platform.Args.GatewayPort}";

    private async Task<(int Exit, string Out, string Err)> RunAsync(string? key, TextReader? stdin, params string[] args)
    {
        var env = new Dictionary<string, string> { ["AGENTCLOUD_PROFILE_FILE"] = _profiles };
        if (key is not null)
        {
            env["AGENTCLOUD_URL"] = Url;
            env["AGENTCLOUD_KEY"] = key;
        }
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await CliApp.RunAsync(args, stdout, stderr, env: name => env.GetValueOrDefault(name), stdin: stdin);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private async Task<JsonNode> JsonAsync(string? key, params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(key, null, [.. args, "--json"]);
        Assert.True(exit == 0, $"agentcloud {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return JsonNode.Parse(stdout)!;
    }

    [Fact]
    public async Task A_tenant_logs_in_and_the_operator_updates_it_and_lists_its_keys()
    {
        const string admin = AppHostArgs.AdminKey;
        var tenantId = (await JsonAsync(admin, "tenants", "create", "--name", "cli-add-" + Guid.NewGuid().ToString("N")[..8], "--tier", "free"))["id"]!.GetValue<string>();
        var updated = await JsonAsync(admin, "tenants", "update", tenantId, "--tier", "pro", "--policy", "requestsPerMinute=600");
        Assert.Equal("pro", updated["tier"]!.GetValue<string>());
        var created = await JsonAsync(admin, "keys", "create", tenantId, "--name", "laptop");
        var (key, keyId) = (created["key"]!.GetValue<string>(), created["id"]!.GetValue<string>());

        var listed = (await JsonAsync(admin, "keys", "list", tenantId)).ToJsonString();
        Assert.Contains(keyId, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);

        var (loginExit, loginOut, loginErr) = await RunAsync(null, new StringReader(key + "\n"), "login", "--url", Url);
        Assert.True(loginExit == 0, loginErr + loginOut);
        Assert.DoesNotContain(key, loginOut + loginErr, StringComparison.Ordinal);
        // No key in the environment or on the command line: the profile login wrote serves.
        var models = await JsonAsync(null, "models");
        Assert.NotEmpty(models["data"]!.AsArray());

        var sandboxId = (await JsonAsync(null, "sandbox", "create"))["id"]!.GetValue<string>();
        var (exit, _, _) = await RunAsync(null, null, "sandbox", "exec", sandboxId, "--", "python3", "-c", "import sys; sys.exit(7)");
        Assert.Equal(7, exit);
        var (ok, stdout, _) = await RunAsync(null, null, "sandbox", "exec", sandboxId, "--", "python3", "-c", "print(6 * 7)");
        Assert.Equal((0, "42"), (ok, stdout.Trim()));

        await JsonAsync(null, "sandbox", "rm", sandboxId);
        await JsonAsync(admin, "tenants", "delete", tenantId);
    }

    public void Dispose()
    {
        var folder = Path.GetDirectoryName(_profiles)!;
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}
