using System.Net.Http.Json;
namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Folder operations at the operator-only "none" level, on a broker that has it switched on.</summary>
[Collection(NoneLevelBrokerCollection.Name)]
public sealed class NoneLevelFolderOperationsTests(NoneLevelBrokerFixture fixture) : FolderOperationsAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;

    protected override bool Covers(string level) => level == AgentCloud.SandboxBroker.Isolation.IsolationLevels.None;

    protected override HttpClient ClientFor(string tenant) => fixture.ClientFor(tenant);
}

/// <summary>Streamed exec at the operator-only "none" level, on a broker that has it switched on, and its keep-alives.</summary>
[Collection(NoneLevelBrokerCollection.Name)]
public sealed class NoneLevelStreamedExecTests(NoneLevelBrokerFixture fixture) : StreamedExecAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;

    protected override bool Covers(string level) => level == AgentCloud.SandboxBroker.Isolation.IsolationLevels.None;

    protected override HttpClient ClientFor(string tenant) => fixture.ClientFor(tenant);

    [Fact]
    public async Task A_silent_command_gets_keep_alive_comments_before_its_output()
    {
        if (await SandboxAtAsync("stream-keepalive", AgentCloud.SandboxBroker.Isolation.IsolationLevels.None) is not var (client, sandbox))
        {
            return;
        }
        using var bound = new CancellationTokenSource(Bound);

        using var stream = await ServerSentEventReader.StreamExecAsync(client, sandbox.Id,
            new { command = new[] { "/bin/sh", "-c", "sleep 2; echo done" }, stream = true }, cancellationToken: bound.Token);
        var first = await stream.NextAsync(bound.Token);
        var commentsBeforeOutput = stream.Comments;
        await stream.UntilAsync(seen => seen.Any(e => e.Name == "exit"), bound.Token);

        Assert.Equal("stdout", first!.Name);
        Assert.True(commentsBeforeOutput > 0, "no keep-alive comment came during two seconds of silence with a 200 ms keep-alive");
    }
}

/// <summary>A template with a root layer cannot be mounted at the "none" level (no mount namespace): refused, not served without its layer.</summary>
[Collection(NoneLevelBrokerCollection.Name)]
public sealed class NoneLevelTemplateTests(NoneLevelBrokerFixture fixture)
{
    [Fact]
    public async Task A_layered_template_is_refused_at_the_none_level()
    {
        var client = fixture.ClientFor("template-none");

        using var refused = await client.PostAsJsonAsync("/v1/sandboxes", new { template = NoneLevelBrokerFixture.LayeredTemplate });

        await BrokerCalls.AssertProblemAsync(refused, 409);
        Assert.Contains("mounts a root layer", await refused.Content.ReadAsStringAsync());
    }
}
