using System.Net;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Processes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// A join enters the boundary through namespace descriptors the broker has held since the boundary started, never by
/// the init's pid (which the kernel may give to another process once the init is gone).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class JoinByDescriptorTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    [Theory]
    [InlineData(IsolationLevels.Bubblewrap)]
    [InlineData(IsolationLevels.Namespace)]
    public async Task A_join_names_the_brokers_held_descriptors_of_the_inits_namespaces_and_none_survive_the_sandbox(string level)
    {
        var offered = Broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == level);
        if (!offered.Available)
        {
            Assert.False(string.IsNullOrWhiteSpace(offered.Reason));
            return;
        }
        var tenant = $"join-fd-{level}";
        var client = Broker.ClientFor(tenant);
        var created = await client.CreateSandboxAsync(new { isolation = level });
        await client.StartProcessAsync(created.Id, ["sleep", "600"]);
        var sandbox = Broker.Manager.Find(tenant, created.Id)!;
        var boundary = sandbox.Processes.Boundary!;

        var launch = Broker.Services.GetRequiredService<SandboxLaunches>().ForExec(sandbox, new ExecSpec(["true"], new Dictionary<string, string>(), null));
        var entered = launch.Arguments.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains("=/proc/", StringComparison.Ordinal)).ToList();
        var held = $"/proc/{Environment.ProcessId}/fd/";

        Assert.DoesNotContain(launch.Arguments, a => a.StartsWith("--target", StringComparison.Ordinal));
        Assert.DoesNotContain(launch.Arguments, a => a.Contains($"/proc/{boundary.TargetPid}/", StringComparison.Ordinal));
        Assert.Equal(8, entered.Count);
        Assert.All(entered, a => Assert.Contains(held, a));
        var net = entered.Single(a => a.StartsWith("--net=", StringComparison.Ordinal))["--net=".Length..];
        var netNamespace = LinkOf($"/proc/{boundary.TargetPid}/ns/net");
        Assert.StartsWith("net:[", netNamespace);
        Assert.Equal(netNamespace, LinkOf(net));
        Broker.Services.GetRequiredService<AgentCloud.SandboxBroker.Exec.SandboxExecutor>().Finish(launch, killed: false);

        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{created.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(boundary.Namespaces.BeginJoin());
        // Closed: the number names the init's namespace no more (it is unused, or some other file of the broker's now).
        Assert.NotEqual(netNamespace, LinkOf(net));
    }

    [Fact]
    public async Task The_join_helper_skips_the_user_namespace_it_is_already_in_even_after_entering_the_sandboxs_mounts()
    {
        var offered = Broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == IsolationLevels.Namespace);
        if (!offered.Available || !SandboxJoinHelper.Installed)
        {
            Assert.False(offered.Available && LaunchPrefix.BrokerIsRoot && SandboxJoinHelper.Installed);
            return;
        }
        const string tenant = "join-own-userns";
        var client = Broker.ClientFor(tenant);
        var created = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Namespace });
        await client.StartProcessAsync(created.Id, ["sleep", "600"]);
        var init = Broker.Manager.Find(tenant, created.Id)!.Processes.Boundary!.TargetPid;
        var uid = Broker.Manager.Find(tenant, created.Id)!.Slot.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The sandbox's mounts (its /proc knows no host pid), then the user namespace the helper runs in already.
        var psi = new System.Diagnostics.ProcessStartInfo(SandboxJoinHelper.Path) { RedirectStandardError = true };
        foreach (var a in new[] { uid, uid, $"--mount=/proc/{init}/ns/mnt", "--user=/proc/self/ns/user", $"--root=/proc/{init}/root", "--", "/bin/true" })
        {
            psi.ArgumentList.Add(a);
        }
        using var helper = System.Diagnostics.Process.Start(psi)!;
        var stderr = await helper.StandardError.ReadToEndAsync();
        await helper.WaitForExitAsync();
        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{created.Id}");

        Assert.True(helper.ExitCode == 0, $"exit {helper.ExitCode}: {stderr}");
    }

    private static string? LinkOf(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
