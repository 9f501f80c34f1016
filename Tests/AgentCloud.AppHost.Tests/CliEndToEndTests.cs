using System.Text.Json.Nodes;
using AgentCloud.Cli;

namespace AgentCloud.AppHost.Tests;

/// <summary>Every `agentcloud` command against the running platform, with its --json output parsed and checked.</summary>
[Collection(PlatformCollection.Name)]
public sealed class CliEndToEndTests(PlatformFixture platform)
{
    private async Task<(int Exit, string Out, string Err)> RunAsync(string key, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["AGENTCLOUD_URL"] = $"http://127.0.0.1:{platform.Args.GatewayPort}",
            ["AGENTCLOUD_KEY"] = key,
            ["AGENTCLOUD_PROFILE_FILE"] = "/nonexistent/profiles.json",
        };
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await CliApp.RunAsync(args, stdout, stderr, env: name => env.GetValueOrDefault(name));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private async Task<JsonNode> JsonAsync(string key, params string[] args)
    {
        // --json goes before a "--", after which everything belongs to the command run in the sandbox.
        var split = Array.IndexOf(args, "--");
        string[] withJson = split < 0 ? [.. args, "--json"] : [.. args[..split], "--json", .. args[split..]];
        var (exit, stdout, stderr) = await RunAsync(key, withJson);
        Assert.True(exit == 0, $"agentcloud {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return JsonNode.Parse(stdout)!;
    }

    [Fact]
    public async Task Each_command_works_against_the_running_platform_with_json_output()
    {
        const string admin = AppHostArgs.AdminKey;
        var tenant = await JsonAsync(admin, "tenants", "create", "--name", "cli-" + Guid.NewGuid().ToString("N")[..8], "--tier", "pro");
        var tenantId = tenant["id"]!.GetValue<string>();
        Assert.Equal("pro", tenant["tier"]!.GetValue<string>());
        Assert.Contains(tenantId, (await JsonAsync(admin, "tenants", "list")).ToJsonString());
        Assert.Equal(tenantId, (await JsonAsync(admin, "tenants", "show", tenantId))["id"]!.GetValue<string>());
        var created = await JsonAsync(admin, "keys", "create", tenantId, "--name", "cli", "--default-lane", "batch");
        Assert.Equal("batch", created["defaultLane"]!.GetValue<string>());
        var key = created["key"]!.GetValue<string>();
        var keyId = created["id"]!.GetValue<string>();

        var chat = await JsonAsync(key, "chat", "Hello from the CLI", "--max-tokens", "8");
        Assert.InRange(chat["usage"]!["completion_tokens"]!.GetValue<int>(), 1, 8);

        var sandboxId = (await JsonAsync(key, "sandbox", "create"))["id"]!.GetValue<string>();
        Assert.Contains(sandboxId, (await JsonAsync(key, "sandbox", "list")).ToJsonString());
        var exec = await JsonAsync(key, "sandbox", "exec", sandboxId, "--", "python3", "-c", "print(6 * 7)");
        Assert.Equal("42", exec["stdout"]!.GetValue<string>().Trim());
        var local = Path.Combine(Path.GetTempPath(), "cli-e2e-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(local + ".in", "copied through the CLI");
        await JsonAsync(key, "sandbox", "cp", local + ".in", $"{sandboxId}:in.txt");
        await JsonAsync(key, "sandbox", "cp", $"{sandboxId}:in.txt", local + ".out");
        Assert.Equal("copied through the CLI", await File.ReadAllTextAsync(local + ".out"));

        // A folder up and down (-r), and ls: a link made inside the sandbox does not come down as a link.
        Directory.CreateDirectory(Path.Combine(local + ".dir", "sub"));
        await File.WriteAllTextAsync(Path.Combine(local + ".dir", "sub", "deep.txt"), "deep");
        await JsonAsync(key, "sandbox", "cp", "-r", local + ".dir", $"{sandboxId}:proj");
        var listed = await JsonAsync(key, "sandbox", "ls", $"{sandboxId}:proj/sub");
        Assert.Equal("deep.txt", listed["entries"]![0]!["name"]!.GetValue<string>());
        await JsonAsync(key, "sandbox", "exec", sandboxId, "--", "ln", "-s", "/etc/passwd", "proj/escape");
        var down = await JsonAsync(key, "sandbox", "cp", "-r", $"{sandboxId}:proj", local + ".back");
        Assert.Equal("deep", await File.ReadAllTextAsync(Path.Combine(local + ".back", "sub", "deep.txt")));
        Assert.False(File.Exists(Path.Combine(local + ".back", "escape")) || Directory.Exists(Path.Combine(local + ".back", "escape")));
        Assert.Contains("skipped", down["detail"]!.GetValue<string>());
        Assert.Equal(sandboxId, (await JsonAsync(key, "sandbox", "rm", sandboxId))["deleted"]!.GetValue<string>());

        await JsonAsync(key, "memory", "put", "cli-notes", "--id", "p1", "--text", "the release train leaves on tuesday");
        var found = await JsonAsync(key, "memory", "search", "cli-notes", "--text", "when does the release train leave");
        Assert.Equal("p1", found["results"]![0]!["id"]!.GetValue<string>());

        var usage = await JsonAsync(key, "usage");
        Assert.Equal(tenantId, usage["tenantId"]!.GetValue<string>());

        Assert.Equal(keyId, (await JsonAsync(admin, "keys", "revoke", tenantId, keyId))["revoked"]!.GetValue<string>());
        var (refusedExit, _, refusedErr) = await RunAsync(key, "chat", "still there?");
        Assert.Equal(4, refusedExit);
        Assert.Single(refusedErr.Trim().Split('\n'));
        Assert.Equal(tenantId, (await JsonAsync(admin, "tenants", "delete", tenantId))["deleted"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_flag_gives_one_clear_line_and_the_usage_exit_code()
    {
        var (exit, _, stderr) = await RunAsync(AppHostArgs.AdminKey, "tenants", "create", "--tier", "platinum", "--name", "x");

        Assert.Equal(2, exit);
        Assert.Contains("platinum", stderr);
    }
}
