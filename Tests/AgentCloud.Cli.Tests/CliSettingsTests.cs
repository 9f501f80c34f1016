using AgentCloud.Cli.Commands;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Tests;

public sealed class CliSettingsTests : IDisposable
{
    private readonly string _profiles = Path.Combine(Path.GetTempPath(), $"agentcloud-profiles-{Guid.NewGuid():N}.json");

    public CliSettingsTests() =>
        File.WriteAllText(_profiles, """{"default": {"url": "http://profile:1", "key": "pk"}, "staging": {"url": "http://staging:2", "key": "sk"}}""");

    public void Dispose() => File.Delete(_profiles);

    [Fact]
    public void Flags_win_over_environment_which_wins_over_the_profile()
    {
        var env = new Dictionary<string, string> { ["AGENTCLOUD_URL"] = "http://env:3", ["AGENTCLOUD_KEY"] = "ek" };

        var fromFlags = CliSettings.Resolve("http://flag:4", "fk", null, env.GetValueOrDefault, _profiles);
        var fromEnv = CliSettings.Resolve(null, null, null, env.GetValueOrDefault, _profiles);
        var fromProfile = CliSettings.Resolve(null, null, null, _ => null, _profiles);

        Assert.Equal(new CliSettings(new Uri("http://flag:4"), "fk"), fromFlags);
        Assert.Equal(new CliSettings(new Uri("http://env:3"), "ek"), fromEnv);
        Assert.Equal(new CliSettings(new Uri("http://profile:1"), "pk"), fromProfile);
    }

    [Fact]
    public void A_named_profile_is_used_and_a_missing_one_is_a_usage_error()
    {
        Assert.Equal("sk", CliSettings.Resolve(null, null, "staging", _ => null, _profiles).Key);
        var e = Assert.Throws<CliUsageException>(() => CliSettings.Resolve(null, null, "prod", _ => null, _profiles));
        Assert.Contains("No profile 'prod'", e.Message);
    }

    [Fact]
    public void Without_any_setting_the_local_gateway_is_used()
    {
        var settings = CliSettings.Resolve(null, null, null, _ => null, "/nonexistent/profiles.json");

        Assert.Equal(new Uri(CliSettings.DefaultUrl), settings.Url);
        Assert.Null(settings.Key);
    }

    [Theory]
    [InlineData("sb1:out/result.txt", true, "/v1/sandboxes/sb1/files/out/result.txt")]
    [InlineData("sb1:/abs.txt", true, "/v1/sandboxes/sb1/files/abs.txt")]
    [InlineData("./local:file.txt", false, null)]
    [InlineData("plain.txt", false, null)]
    [InlineData("sb1:", false, null)]
    public void Remote_paths_are_told_from_local_ones(string text, bool remote, string? apiPath)
    {
        Assert.Equal(remote, SandboxCommands.RemotePath.TryParse(text, out var parsed));
        if (remote)
        {
            Assert.Equal(apiPath, parsed.ApiPath);
        }
    }
}
