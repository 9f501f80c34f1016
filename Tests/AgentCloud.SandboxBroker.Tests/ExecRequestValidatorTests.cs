using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>The exec-request validator alone: the kernel's per-argument limit is refused with a reason, one byte under it passes.</summary>
public sealed class ExecRequestValidatorTests
{
    private static readonly ExecRequestValidator Validator = new(Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions()));
    private static readonly Dictionary<string, string> Template = new() { ["PATH"] = "/usr/bin:/bin", ["HOME"] = "/workspace" };

    private static ExecRequest Command(params string?[] command) => new(command, null, null, null);

    [Fact]
    public void An_argument_one_byte_under_the_kernels_limit_passes_and_one_at_it_is_refused()
    {
        var under = Validator.Validate(Command("echo", new string('x', ExecRequestValidator.MaxSingleArgumentBytes - 1)), Template);
        var refusal = Assert.Throws<SandboxRefusal>(() => Validator.Validate(Command("echo", new string('x', ExecRequestValidator.MaxSingleArgumentBytes)), Template));

        Assert.Equal(2, under.Command.Count);
        Assert.Equal(RefusalKind.Invalid, refusal.Kind);
        Assert.Contains("stdin", refusal.Message);
    }

    [Fact]
    public void Argument_size_is_counted_in_utf8_bytes_not_characters()
    {
        // 65,536 characters of two bytes each: within 128 Ki characters, but 128 KiB of bytes.
        var refusal = Assert.Throws<SandboxRefusal>(() => Validator.Validate(Command("echo", new string('é', 64 * 1024)), Template));

        Assert.Contains($"{128 * 1024} bytes", refusal.Message);
    }

    [Fact]
    public void The_callers_variables_come_after_the_templates_and_a_nul_anywhere_is_refused()
    {
        var valid = Validator.Validate(new ExecRequest(["env"], null, new() { ["HOME"] = "/tmp", ["MINE"] = "1" }, 5), Template);

        Assert.Equal("/tmp", valid.Environment["HOME"]);
        Assert.Equal("/usr/bin:/bin", valid.Environment["PATH"]);
        Assert.Equal(TimeSpan.FromSeconds(5), valid.Timeout);
        Assert.Throws<SandboxRefusal>(() => Validator.Validate(Command("echo", "a\0b"), Template));
        Assert.Throws<SandboxRefusal>(() => Validator.Validate(new ExecRequest(["env"], null, new() { ["X"] = "a\0b" }, null), Template));
    }
}
