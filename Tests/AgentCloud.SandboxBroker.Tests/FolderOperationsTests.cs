using System.Net;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>The folder operations at the levels this host offers by default, plus what needs no particular level.</summary>
[Collection(BrokerCollection.Name)]
public sealed class FolderOperationsTests(BrokerFixture fixture) : FolderOperationsAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;

    [Fact]
    public async Task A_body_that_is_not_a_tar_archive_is_400_problem()
    {
        var client = Broker.ClientFor("tar-garbage");
        var sandbox = await client.CreateSandboxAsync();
        var garbage = new byte[4096];
        new Random(22).NextBytes(garbage);

        using var response = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/archive/x", new ByteArrayContent(garbage));

        await BrokerCalls.AssertProblemAsync(response, 400);
    }

    [Fact]
    public async Task A_symlink_swapped_in_a_tight_loop_never_lets_a_listing_archive_or_delete_out()
    {
        var client = Broker.ClientFor("dirs-race");
        var sandbox = await client.CreateSandboxAsync();
        var canary = Directory.CreateTempSubdirectory("agentcloud-canary-").FullName;
        File.WriteAllText(Path.Combine(canary, "keep.txt"), "host");
        await client.ShAsync(sandbox.Id, "mkdir real && echo inside > real/inside.txt");
        var swapper = client.ShAsync(sandbox.Id,
            $"end=$(( $(date +%s) + 4 )); while [ $(date +%s) -lt $end ]; do ln -sfn /etc l; ln -sfn real l; ln -sfn {canary} w; ln -sfn real w; done", timeoutSeconds: 10);

        while (!swapper.IsCompleted)
        {
            using var list = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/dirs/l");
            Assert.DoesNotContain("passwd", await list.Content.ReadAsStringAsync());
            using var archive = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/archive/l");
            Assert.DoesNotContain("root:", await archive.Content.ReadAsStringAsync());
            using var delete = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}/files/w/keep.txt");
            Assert.Contains(delete.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.NotFound });
        }
        await swapper;

        Assert.Equal("host", File.ReadAllText(Path.Combine(canary, "keep.txt")));
        Directory.Delete(canary, recursive: true);
    }

    [Fact]
    public async Task A_file_in_a_tar_through_a_symlink_the_sandbox_planted_is_refused()
    {
        var client = Broker.ClientFor("tar-planted");
        var sandbox = await client.CreateSandboxAsync();
        await client.ShAsync(sandbox.Id, "ln -s /etc planted");

        using var response = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/archive", new TarBuilder().File("planted/agentcloud-slip", "pwned").Build());

        await BrokerCalls.AssertProblemAsync(response, 400);
        Assert.False(File.Exists("/etc/agentcloud-slip"));
    }

    [Fact]
    public async Task A_hard_link_to_a_host_file_is_never_archived()
    {
        var client = Broker.ClientFor("tar-hardlink");
        var sandbox = await client.CreateSandboxAsync();
        var hostFile = Path.Combine(Broker.Root, "host-secret-archive.txt");
        File.WriteAllText(hostFile, "host-secret");
        var link = Path.Combine(Broker.SlotOf("tar-hardlink", sandbox.Id).Workspace, "link.txt");
        if (SlotDisk.Mounts)
        {
            // The workspace is a filesystem of its own: no hard link to a host file can exist in it at all.
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => AgentCloud.Tests.Shared.LocalProcess.RunAsync("ln", [hostFile, link]));
            Assert.Contains("cross-device", refused.Message);
            return;
        }
        await AgentCloud.Tests.Shared.LocalProcess.RunAsync("ln", [hostFile, link]);

        using var download = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/archive");
        var entries = await TarBuilder.ReadAsync(download);

        Assert.DoesNotContain(entries, e => e.Content.Contains("host-secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Archives_over_the_byte_or_entry_limits_are_413_and_unpack_nothing()
    {
        var client = Broker.ClientFor("tar-limits");
        var sandbox = await client.CreateSandboxAsync();
        var many = new TarBuilder();
        for (var i = 0; i <= 10_000; i++)
        {
            many.File($"f{i}", "");
        }
        await client.ShAsync(sandbox.Id, "mkdir big && head -c 68157440 /dev/zero > big/zeros");

        using var tooMany = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/archive/many", many.Build());
        using var tooBig = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/archive/huge", new ByteArrayContent(new byte[33 * 1024 * 1024]));
        using var downloadTooBig = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/archive/big");
        var listing = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/dirs"), HttpStatusCode.OK);

        await BrokerCalls.AssertProblemAsync(tooMany, 413);
        await BrokerCalls.AssertProblemAsync(tooBig, 413);
        await BrokerCalls.AssertProblemAsync(downloadTooBig, 413);
        Assert.Equal(["big"], Names(listing));
    }

    [Fact]
    public async Task Another_tenant_gets_404_on_every_folder_operation()
    {
        var owner = Broker.ClientFor("dirs-owner");
        var sandbox = await owner.CreateSandboxAsync();
        await owner.ShAsync(sandbox.Id, "mkdir d && echo secret > d/s.txt");
        var attacker = Broker.ClientFor("dirs-attacker");

        var calls = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Get, "dirs"), (HttpMethod.Get, "dirs/d"), (HttpMethod.Put, "dirs/x"), (HttpMethod.Get, "stat/d/s.txt"),
            (HttpMethod.Delete, "files/d?recursive=true"), (HttpMethod.Get, "archive/d"), (HttpMethod.Put, "archive/d"),
        };
        foreach (var (method, path) in calls)
        {
            using var request = new HttpRequestMessage(method, $"/v1/sandboxes/{sandbox.Id}/{path}")
            {
                Content = method == HttpMethod.Put ? new TarBuilder().File("x", "pwned").Build() : null,
            };
            using var response = await attacker.SendAsync(request);
            await BrokerCalls.AssertProblemAsync(response, 404);
        }
        Assert.Equal("secret\n", (await owner.ShAsync(sandbox.Id, "cat d/s.txt")).Stdout);
    }
}
