using System.Formats.Tar;
using System.Net;
using System.Text.Json;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>List, stat, mkdir, delete and tar up and down in a workspace, and every escape refused, per isolation level.</summary>
public abstract class FolderOperationsAtEachLevel : LevelTests
{
    protected static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    protected static List<string> Names(JsonElement listing) =>
        listing.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Folders_are_made_listed_statted_and_deleted(string level)
    {
        if (await SandboxAtAsync("dirs-ops", level) is not var (client, sandbox))
        {
            return;
        }
        var id = sandbox.Id;

        var made = await JsonAsync(await client.PutAsync($"/v1/sandboxes/{id}/dirs/a/b/c", null), HttpStatusCode.Created);
        await JsonAsync(await client.PutAsync($"/v1/sandboxes/{id}/dirs/a/b/c", null), HttpStatusCode.OK);
        using var put = await client.PutAsync($"/v1/sandboxes/{id}/files/a/b/c/f.txt", new StringContent("hello"));
        var inner = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}/dirs/a/b/c"), HttpStatusCode.OK);
        var root = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}/dirs"), HttpStatusCode.OK);
        var stat = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}/stat/a/b/c/f.txt"), HttpStatusCode.OK);
        var workspace = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}/stat"), HttpStatusCode.OK);
        var seenInside = await client.ShAsync(id, "ls a/b/c && stat -c %U a/b/c >/dev/null && echo owned");

        Assert.Equal("directory", made.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var file = Assert.Single(inner.GetProperty("entries").EnumerateArray());
        Assert.Equal("f.txt", file.GetProperty("name").GetString());
        Assert.Equal("file", file.GetProperty("type").GetString());
        Assert.Equal(5, file.GetProperty("size").GetInt64());
        Assert.True(file.GetProperty("modified").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Contains("a", Names(root));
        Assert.False(root.GetProperty("truncated").GetBoolean());
        Assert.Equal(5, stat.GetProperty("size").GetInt64());
        Assert.Equal("directory", workspace.GetProperty("type").GetString());
        Assert.StartsWith("f.txt\n", seenInside.Stdout);

        using var notEmpty = await client.DeleteAsync($"/v1/sandboxes/{id}/files/a");
        await BrokerCalls.AssertProblemAsync(notEmpty, 409);
        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{id}/files/a?recursive=true");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await client.GetAsync($"/v1/sandboxes/{id}/stat/a");
        await BrokerCalls.AssertProblemAsync(gone, 404);
        Assert.Equal("gone\n", (await client.ShAsync(id, "test -e a || echo gone")).Stdout);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_folder_goes_up_and_down_as_tar_with_files_folders_symlinks_and_exec_bits(string level)
    {
        if (await SandboxAtAsync("dirs-tar", level) is not var (client, sandbox))
        {
            return;
        }
        var id = sandbox.Id;
        var tar = new TarBuilder()
            .Folder("proj/")
            .File("proj/run.sh", "#!/bin/sh\necho ran\n", (UnixFileMode)0b111_101_101)
            .Symlink("proj/link", "run.sh")
            .HardLink("proj/copy", "proj/run.sh")
            .File("./proj/sub/deep.txt", "deep")
            .Build();

        var extracted = await JsonAsync(await client.PutAsync($"/v1/sandboxes/{id}/archive/dest", tar), HttpStatusCode.OK);
        var run = await client.ShAsync(id, "cd dest/proj && ./run.sh && cat link copy sub/deep.txt");
        using var download = await client.GetAsync($"/v1/sandboxes/{id}/archive/dest");
        var entries = await TarBuilder.ReadAsync(download);

        Assert.Equal(5, extracted.GetProperty("entries").GetInt32());
        Assert.Equal("ran\n#!/bin/sh\necho ran\n#!/bin/sh\necho ran\ndeep", run.Stdout);
        Assert.Equal("application/x-tar", download.Content.Headers.ContentType?.MediaType);
        Assert.Contains(entries, e => e is { Name: "proj/", Type: TarEntryType.Directory });
        Assert.Contains(entries, e => e is { Name: "proj/run.sh", Type: TarEntryType.RegularFile, Content: "#!/bin/sh\necho ran\n" });
        Assert.Contains(entries, e => e is { Name: "proj/link", Type: TarEntryType.SymbolicLink, LinkName: "run.sh" });
        Assert.Contains(entries, e => e is { Name: "proj/copy", Type: TarEntryType.RegularFile });
        Assert.Contains(entries, e => e is { Name: "proj/sub/deep.txt", Content: "deep" });
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Every_escape_the_file_api_refuses_is_refused_by_folder_operations(string level)
    {
        if (await SandboxAtAsync("dirs-escape", level) is not var (client, sandbox))
        {
            return;
        }
        var id = sandbox.Id;
        await client.ShAsync(id, "ln -s /etc etc-link && ln -s ../../../../../../etc up-link && ln -s /proc/self/root root-link && mkdir d && echo mine > d/mine.txt");
        var hostFile = Path.Combine(Broker.Root, $"host-secret-{level}.txt");
        File.WriteAllText(hostFile, "host-secret");

        string[] escapes = ["etc-link", "up-link", "root-link/etc", "%2Fetc", "..%2F..%2F..%2Fetc", "d%2F..%2F..%2F..%2Fetc", "%2Fproc%2Fself%2Froot%2Fetc"];
        foreach (var path in escapes)
        {
            foreach (var (method, route) in new[] { ("GET", "dirs"), ("PUT", "dirs"), ("GET", "archive"), ("PUT", "archive") })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), $"/v1/sandboxes/{id}/{route}/{path}/agentcloud-escape")
                {
                    Content = method == "PUT" ? new TarBuilder().File("pwned.txt", "pwned").Build() : null,
                };
                using var response = await client.SendAsync(request);
                await BrokerCalls.AssertProblemAsync(response, 400);
            }
            using var stat = await client.GetAsync($"/v1/sandboxes/{id}/stat/{path}/passwd");
            using var delete = await client.DeleteAsync($"/v1/sandboxes/{id}/files/{path}/hostname?recursive=true");
            await BrokerCalls.AssertProblemAsync(stat, 400);
            await BrokerCalls.AssertProblemAsync(delete, 400);
        }

        // A symlink is the link itself to every operation: statted, listed, archived and deleted as a link, never followed.
        var linkStat = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{id}/stat/etc-link"), HttpStatusCode.OK);
        using var whole = await client.GetAsync($"/v1/sandboxes/{id}/archive");
        var archived = await TarBuilder.ReadAsync(whole);
        using var unlink = await client.DeleteAsync($"/v1/sandboxes/{id}/files/etc-link?recursive=true");

        Assert.Equal("symlink", linkStat.GetProperty("type").GetString());
        Assert.Contains(archived, e => e is { Name: "etc-link", Type: TarEntryType.SymbolicLink, LinkName: "/etc" });
        Assert.DoesNotContain(archived, e => e.Name.Contains("passwd", StringComparison.Ordinal) || e.Content.Contains("root:", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NoContent, unlink.StatusCode);
        Assert.True(File.Exists("/etc/passwd") && File.Exists("/etc/hostname"));
        Assert.False(Directory.Exists("/etc/agentcloud-escape"));
        Assert.False(File.Exists("/etc/pwned.txt"));
        Assert.Equal("host-secret", File.ReadAllText(hostFile));
    }

    public static TheoryData<string, TarBuilder> TarSlips => new()
    {
        { "dot-dot", new TarBuilder().File("../agentcloud-slip", "pwned") },
        { "nested-dot-dot", new TarBuilder().File("a/../../agentcloud-slip", "pwned") },
        { "absolute", new TarBuilder().File("/etc/agentcloud-slip", "pwned") },
        { "symlink-absolute-then-file-through-it", new TarBuilder().Symlink("s", "/etc").File("s/agentcloud-slip", "pwned") },
        { "symlink-climbing-then-file-through-it", new TarBuilder().Symlink("s", "../../../../../../etc").File("s/agentcloud-slip", "pwned") },
        { "symlink-climbing-one-level", new TarBuilder().Folder("x/").Symlink("x/s", "../..").File("x/s/agentcloud-slip", "pwned") },
        { "hardlink-absolute", new TarBuilder().HardLink("h", "/etc/passwd") },
        { "hardlink-outside", new TarBuilder().HardLink("h", "../../etc/passwd") },
        { "hardlink-to-nothing-earlier", new TarBuilder().HardLink("h", "later.txt").File("later.txt", "x") },
        { "character-device", new TarBuilder().Special(TarEntryType.CharacterDevice, "null") },
        { "block-device", new TarBuilder().Special(TarEntryType.BlockDevice, "disk") },
        { "fifo", new TarBuilder().Special(TarEntryType.Fifo, "pipe") },
    };

    [Theory]
    [MemberData(nameof(TarSlips))]
    public async Task A_tar_with_an_escaping_or_special_entry_is_refused_whole_at_every_level(string name, TarBuilder tar)
    {
        var archive = tar.Build();
        var bytes = await archive.ReadAsByteArrayAsync();
        foreach (var level in AllLevels)
        {
            if (await SandboxAtAsync($"tar-slip-{name}", level) is not var (client, sandbox))
            {
                continue;
            }
            // A file first, so "refused whole" is seen: the good entry before the bad one is not unpacked either.
            using var content = new ByteArrayContent(bytes);
            using var response = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/archive/into", content);
            await BrokerCalls.AssertProblemAsync(response, 400);
            var listing = await JsonAsync(await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/dirs"), HttpStatusCode.OK);
            Assert.Empty(Names(listing));
            await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        }
        Assert.False(File.Exists("/etc/agentcloud-slip"));
        Assert.False(File.Exists(Path.Combine(Broker.Root, "agentcloud-slip")));
    }
}
