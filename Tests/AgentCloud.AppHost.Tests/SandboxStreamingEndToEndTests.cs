using System.Formats.Tar;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.AppHost.Tests;

/// <summary>A streamed exec and a folder archive through the real Gateway and broker, and neither for another tenant.</summary>
[Collection(PlatformCollection.Name)]
public sealed class SandboxStreamingEndToEndTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_streamed_exec_and_a_folder_archive_pass_the_gateway_for_their_tenant_only()
    {
        var (_, keyA) = await platform.NewTenantAsync("pro", "stream-a");
        var (_, keyB) = await platform.NewTenantAsync("pro", "stream-b");
        using var a = platform.Gateway().As(keyA);
        using var b = platform.Gateway().As(keyB);
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var created = await PlatformTenants.PatientlyAsync(() => a.PostAsJsonAsync("/v1/sandboxes", new { }));
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        // The command waits for 'go', which the test makes only once the first event has crossed the Gateway.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{id}/exec")
        {
            Content = JsonContent.Create(new { command = new[] { "/bin/sh", "-c", "echo first; while [ ! -e go ]; do sleep 0.05; done; echo second >&2; exit 5" }, stream = true }),
        };
        using var stream = await a.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bound.Token);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(bound.Token));
        var firstEvent = (await reader.ReadLineAsync(bound.Token), await reader.ReadLineAsync(bound.Token));
        await PlatformTenants.PatientlyAsync(() => a.PostAsJsonAsync($"/v1/sandboxes/{id}/exec", new { command = new[] { "touch", "go" } }));
        var rest = await reader.ReadToEndAsync(bound.Token);

        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        Assert.Equal(("event: stdout", "data: {\"text\":\"first\\n\"}"), firstEvent);
        Assert.Contains("event: stderr\ndata: {\"text\":\"second\\n\"}", rest);
        Assert.Contains("event: exit\ndata: {\"exitCode\":5,", rest);

        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "src/app.py") { DataStream = new MemoryStream("print(6*7)\n"u8.ToArray()) });
        }
        using var upload = await a.PutAsync($"/v1/sandboxes/{id}/archive/proj", new ByteArrayContent(tar.ToArray()), bound.Token);
        using var listing = await a.GetAsync($"/v1/sandboxes/{id}/dirs/proj/src", bound.Token);
        using var download = await a.GetAsync($"/v1/sandboxes/{id}/archive/proj", bound.Token);
        await using var back = new TarReader(await download.Content.ReadAsStreamAsync(bound.Token));
        var names = new List<string>();
        while (await back.GetNextEntryAsync(cancellationToken: bound.Token) is { } entry)
        {
            names.Add(entry.Name);
        }

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Contains("app.py", await listing.Content.ReadAsStringAsync(bound.Token));
        Assert.Equal(["src/", "src/app.py"], names);

        using var foreignStream = await b.PostAsJsonAsync($"/v1/sandboxes/{id}/exec", new { command = new[] { "cat", "proj/src/app.py" }, stream = true }, bound.Token);
        using var foreignList = await b.GetAsync($"/v1/sandboxes/{id}/dirs", bound.Token);
        using var foreignArchive = await b.GetAsync($"/v1/sandboxes/{id}/archive", bound.Token);
        Assert.Equal(HttpStatusCode.NotFound, foreignStream.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreignList.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreignArchive.StatusCode);
        await a.DeleteAsync($"/v1/sandboxes/{id}", bound.Token);
    }
}
