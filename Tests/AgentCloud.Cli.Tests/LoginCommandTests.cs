using System.Net;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Tests;

/// <summary>
/// <c>agentcloud login</c> saves a checked key as a profile readable by its owner only; the key never comes from the
/// command line, and a key the Gateway refuses is not saved.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LoginCommandTests : IDisposable
{
    private const string TenantKey = "ac_abcdefghijkl_0123456789012345678901234567890123456789";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"agentcloud-login-{Guid.NewGuid():N}");

    private string ProfileFile => Path.Combine(_folder, "agentcloud", "profiles.json");

    private Dictionary<string, string> Env(string? key = null)
    {
        var env = new Dictionary<string, string> { ["AGENTCLOUD_PROFILE_FILE"] = ProfileFile };
        if (key is not null) env["AGENTCLOUD_KEY"] = key;
        return env;
    }

    private static ScriptedGateway Answering(HttpStatusCode status) =>
        new(_ => (status, status == HttpStatusCode.OK ? """{"object":"list","data":[]}""" : ScriptedGateway.Problem((int)status, "refused")));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Login_reads_the_key_from_stdin_checks_it_and_saves_a_profile_only_its_owner_can_read()
    {
        var gateway = Answering(HttpStatusCode.OK);

        var (exit, stdout, stderr) = await gateway.RunAsync(Env(), new StringReader(TenantKey + "\n"), "login", "--url", "http://gateway.test:8080");

        Assert.True(exit == ExitCodes.Ok, stderr);
        var (method, path, _, auth) = Assert.Single(gateway.Seen);
        Assert.Equal(("GET", "/v1/models", "Bearer " + TenantKey), (method, path, auth));
        var saved = JsonNode.Parse(File.ReadAllText(ProfileFile))!["default"]!;
        Assert.Equal(("http://gateway.test:8080", TenantKey), (saved["url"]!.GetValue<string>(), saved["key"]!.GetValue<string>()));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ProfileFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(ProfileFile)!));
        Assert.DoesNotContain(TenantKey, stdout + stderr);
    }

    [Fact]
    public async Task A_saved_profile_keeps_the_others_and_later_commands_use_its_key()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ProfileFile)!);
        File.WriteAllText(ProfileFile, """{"other": {"url": "http://other:1", "key": "ac_other_key"}}""");
        var gateway = Answering(HttpStatusCode.OK);

        var (exit, _, stderr) = await gateway.RunAsync(Env(key: TenantKey), null, "login", "--profile", "work", "--url", "http://work:2");
        var (next, _, _) = await gateway.RunAsync(Env(), null, "models", "--profile", "work");

        Assert.True(exit == ExitCodes.Ok, stderr);
        Assert.Equal(ExitCodes.Ok, next);
        var profiles = JsonNode.Parse(File.ReadAllText(ProfileFile))!;
        Assert.Equal("ac_other_key", profiles["other"]!["key"]!.GetValue<string>());
        Assert.Equal(TenantKey, profiles["work"]!["key"]!.GetValue<string>());
        Assert.Equal(("http://work:2/v1/models", "Bearer " + TenantKey), ("http://work:2" + gateway.Seen[^1].PathAndQuery, gateway.Seen[^1].Authorization));
    }

    [Fact]
    public async Task Login_refuses_a_key_given_on_the_command_line_and_saves_nothing()
    {
        var gateway = Answering(HttpStatusCode.OK);

        var (exit, _, stderr) = await gateway.RunAsync(Env(), null, "login", "--key", TenantKey);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("does not take --key", stderr);
        Assert.Empty(gateway.Seen);
        Assert.False(File.Exists(ProfileFile));
    }

    [Fact]
    public async Task A_key_the_gateway_refuses_is_not_saved()
    {
        var gateway = Answering(HttpStatusCode.Unauthorized);

        var (exit, _, _) = await gateway.RunAsync(Env(), new StringReader(TenantKey), "login");

        Assert.Equal(ExitCodes.Unauthorized, exit);
        Assert.False(File.Exists(ProfileFile));
    }

    [Fact]
    public async Task A_tenant_key_without_inference_is_still_a_good_key()
    {
        var gateway = Answering(HttpStatusCode.Forbidden);

        var (exit, _, stderr) = await gateway.RunAsync(Env(), new StringReader(TenantKey), "login");

        Assert.True(exit == ExitCodes.Ok, stderr);
        Assert.True(File.Exists(ProfileFile));
    }

    [Fact]
    public async Task The_operator_key_is_checked_against_the_admin_api()
    {
        var gateway = Answering(HttpStatusCode.OK);

        var (exit, stdout, stderr) = await gateway.RunAsync(Env(), new StringReader("operator-key-0123456789abcdef"), "login");

        Assert.True(exit == ExitCodes.Ok, stderr);
        Assert.Equal("/admin/v1/tenants", Assert.Single(gateway.Seen).PathAndQuery);
        Assert.Contains("operator key", stdout);
    }

    [Fact]
    public async Task Without_stdin_environment_or_terminal_there_is_no_key_to_save()
    {
        var gateway = Answering(HttpStatusCode.OK);

        var (exit, _, stderr) = await gateway.RunAsync(Env(), null, "login");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("No key to save", stderr);
        Assert.Empty(gateway.Seen);
    }
}
