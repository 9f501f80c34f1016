using System.Net;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;

namespace AgentCloud.SandboxBroker.Tests;

[Collection(BrokerCollection.Name)]
public sealed class FileEscapeTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    [Fact]
    public async Task Upload_and_download_round_trip_inside_the_workspace()
    {
        var client = Broker.ClientFor("files-ok");
        var sandbox = await client.CreateSandboxAsync();

        using var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/src/app/main.py", new ByteArrayContent("print(6*7)\n"u8.ToArray()));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var run = await client.ExecAsync(sandbox.Id, ["python3", "src/app/main.py"]);
        var back = await client.GetByteArrayAsync($"/v1/sandboxes/{sandbox.Id}/files/src/app/main.py");

        Assert.Equal("42\n", run.Stdout);
        Assert.Equal("print(6*7)\n"u8.ToArray(), back);
    }

    [Theory]
    [InlineData("..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("a%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("%2Fetc%2Fpasswd")]
    [InlineData("%2Fproc%2Fself%2Froot%2Fetc%2Fpasswd")]
    public async Task Escaping_paths_are_refused_on_read_and_write(string path)
    {
        var client = Broker.ClientFor("files-escape");
        var sandbox = await client.CreateSandboxAsync();

        using var get = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/{path}");
        using var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/{path}", new StringContent("pwned"));

        await BrokerCalls.AssertProblemAsync(get, 400);
        await BrokerCalls.AssertProblemAsync(put, 400);
        Assert.DoesNotContain("pwned", File.ReadAllText("/etc/passwd"));
    }

    [Fact]
    public async Task Symlink_in_the_workspace_to_etc_is_refused()
    {
        var client = Broker.ClientFor("files-link");
        var sandbox = await client.CreateSandboxAsync();
        await client.ShAsync(sandbox.Id, "ln -s /etc etc-link && ln -s ../../../../../../etc up-link && ln -s /proc/self/root root-link");

        foreach (var path in new[] { "etc-link/passwd", "up-link/passwd", "root-link/etc/passwd" })
        {
            using var get = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/{path}");
            await BrokerCalls.AssertProblemAsync(get, 400);
        }
        using var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/etc-link/agentcloud-escape", new StringContent("pwned"));
        await BrokerCalls.AssertProblemAsync(put, 400);
        Assert.False(File.Exists("/etc/agentcloud-escape"));
    }

    [Fact]
    public async Task Symlink_swapped_in_a_tight_loop_never_lets_a_read_or_write_out()
    {
        var client = Broker.ClientFor("files-race");
        var sandbox = await client.CreateSandboxAsync();
        var canary = Directory.CreateTempSubdirectory("agentcloud-canary-").FullName;
        await client.ShAsync(sandbox.Id, "mkdir real && echo inside > real/passwd");
        var swapper = client.ShAsync(sandbox.Id,
            $"end=$(( $(date +%s) + 4 )); while [ $(date +%s) -lt $end ]; do ln -sfn /etc l; ln -sfn real l; ln -sfn {canary} w; ln -sfn real w; done", timeoutSeconds: 10);

        var outcomes = new Dictionary<HttpStatusCode, int>();
        while (!swapper.IsCompleted)
        {
            using var get = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/l/passwd");
            var body = await get.Content.ReadAsStringAsync();
            Assert.DoesNotContain("root:", body);
            outcomes[get.StatusCode] = outcomes.GetValueOrDefault(get.StatusCode) + 1;
            using var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/w/planted", new StringContent("pwned"));
            Assert.Contains(put.StatusCode, new[] { HttpStatusCode.NoContent, HttpStatusCode.BadRequest, HttpStatusCode.NotFound });
        }
        await swapper;

        Assert.Empty(Directory.EnumerateFileSystemEntries(canary));
        Assert.True(outcomes.GetValueOrDefault(HttpStatusCode.BadRequest) > 0 || outcomes.GetValueOrDefault(HttpStatusCode.OK) > 0);
        Assert.Empty(outcomes.Keys.Except([HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.NotFound]));
        Directory.Delete(canary);
    }

    [Fact]
    public async Task Hard_link_to_a_host_file_is_neither_read_nor_truncated()
    {
        var client = Broker.ClientFor("files-hardlink");
        var sandbox = await client.CreateSandboxAsync();
        var hostFile = Path.Combine(Broker.Root, "host-secret.txt");
        File.WriteAllText(hostFile, "host-secret");
        var link = Path.Combine(Broker.SlotOf("files-hardlink", sandbox.Id).Workspace, "link.txt");
        if (SlotDisk.Mounts)
        {
            // The workspace is a filesystem of its own: no hard link to a host file can exist in it at all.
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalProcess.RunAsync("ln", [hostFile, link]));
            Assert.Contains("cross-device", refused.Message);
            return;
        }
        // Where fs.protected_hardlinks is off a sandbox could make this link itself; here the test plants it.
        await LocalProcess.RunAsync("ln", [hostFile, link]);

        using var get = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/link.txt");
        using var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/link.txt", new StringContent("pwned"));

        await BrokerCalls.AssertProblemAsync(get, 400);
        await BrokerCalls.AssertProblemAsync(put, 400);
        Assert.Equal("host-secret", File.ReadAllText(hostFile));
    }

    [Fact]
    public async Task Upload_over_the_size_limit_is_refused()
    {
        var client = Broker.ClientFor("files-big");
        var sandbox = await client.CreateSandboxAsync();

        using var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/big.bin", new ByteArrayContent(new byte[33 * 1024 * 1024]));

        await BrokerCalls.AssertProblemAsync(put, 413);
    }

    [Fact]
    public async Task Missing_file_is_404_and_a_folder_is_400()
    {
        var client = Broker.ClientFor("files-missing");
        var sandbox = await client.CreateSandboxAsync();
        await client.ShAsync(sandbox.Id, "mkdir folder");
        // Made from the host: under gVisor a FIFO made inside lives only in the sandbox's kernel, never in the folder.
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(Broker.SlotOf("files-missing", sandbox.Id).Workspace, "pipe")))
        {
            await mkfifo.WaitForExitAsync();
        }

        using var missing = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/nope.txt");
        using var folder = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/folder");
        using var fifo = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/pipe");

        await BrokerCalls.AssertProblemAsync(missing, 404);
        await BrokerCalls.AssertProblemAsync(folder, 400);
        await BrokerCalls.AssertProblemAsync(fifo, 400);
    }
}
