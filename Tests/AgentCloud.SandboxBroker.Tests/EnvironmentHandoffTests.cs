using AgentCloud.SandboxBroker.Isolation;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>The environment file a launch hands over: values are data, never code, and names are identifiers only.</summary>
public sealed class EnvironmentHandoffTests
{
    [Fact]
    public async Task Values_that_look_like_shell_code_arrive_verbatim_and_run_nothing()
    {
        var marker = Path.Combine(Path.GetTempPath(), "pwned-" + Guid.NewGuid().ToString("N"));
        var values = new Dictionary<string, string> { ["A"] = $"x'; touch {marker}; echo '", ["B"] = $"$(touch {marker})\n`touch {marker}`" };
        var file = Path.Combine(Path.GetTempPath(), "env-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, EnvironmentHandoff.RenderExports(values));

        using var shell = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", ". \"$1\"; printf '%s|%s' \"$A\" \"$B\"", "t", file])
        {
            RedirectStandardOutput = true,
        })!;
        var output = await shell.StandardOutput.ReadToEndAsync();
        await shell.WaitForExitAsync();
        File.Delete(file);

        Assert.Equal($"{values["A"]}|{values["B"]}", output);
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData("A=B;id")]
    [InlineData("1A")]
    [InlineData("")]
    public void A_name_that_is_not_an_identifier_is_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => EnvironmentHandoff.RenderExports(new Dictionary<string, string> { [name] = "x" }));
    }
}
