using System.Text.Json;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Streamed exec at the levels this host offers by default, and its limits, idempotency and confinement.</summary>
[Collection(BrokerCollection.Name)]
public sealed class StreamedExecTests(BrokerFixture fixture) : StreamedExecAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;

    [Fact]
    public async Task Streamed_output_stops_at_the_output_cap_and_exit_says_truncated_as_the_buffered_answer_does()
    {
        var client = Broker.ClientFor("stream-cap");
        var sandbox = await client.CreateSandboxAsync();
        using var bound = new CancellationTokenSource(Bound);
        var command = new[] { "/bin/sh", "-c", "head -c 1572864 /dev/zero | tr '\\0' a; printf 'caf\\303\\251' >&2" };

        using var stream = await ServerSentEventReader.StreamExecAsync(client, sandbox.Id, new { command, stream = true }, cancellationToken: bound.Token);
        var events = await stream.UntilAsync(seen => seen.Any(e => e.Name == "exit"), bound.Token);
        var buffered = await client.ExecAsync(sandbox.Id, command);

        var streamed = string.Concat(events.Where(e => e.Name == "stdout").Select(e => e.Text));
        Assert.Equal(buffered.Stdout, streamed);
        Assert.Equal(1024 * 1024, streamed.Length);
        Assert.Equal("café", string.Concat(events.Where(e => e.Name == "stderr").Select(e => e.Text)));
        Assert.True(events[^1].Data.GetProperty("truncated").GetBoolean());
        Assert.True(buffered.Truncated);
    }

    [Fact]
    public async Task A_stream_that_times_out_ends_with_exit_137_and_timed_out()
    {
        var client = Broker.ClientFor("stream-timeout");
        var sandbox = await client.CreateSandboxAsync();
        using var bound = new CancellationTokenSource(Bound);

        using var stream = await ServerSentEventReader.StreamExecAsync(client, sandbox.Id,
            new { command = new[] { "/bin/sh", "-c", "echo started; exec sleep 60" }, timeoutSeconds = 1, stream = true }, cancellationToken: bound.Token);
        var events = await stream.UntilAsync(seen => seen.Any(e => e.Name == "exit"), bound.Token);

        Assert.Equal("started\n", events.First(e => e.Name == "stdout").Text);
        Assert.Equal(137, events[^1].Data.GetProperty("exitCode").GetInt32());
        Assert.True(events[^1].Data.GetProperty("timedOut").GetBoolean());
    }

    [Fact]
    public async Task Another_tenant_cannot_stream_in_my_sandbox()
    {
        var mine = Broker.ClientFor("stream-owner");
        var sandbox = await mine.CreateSandboxAsync();
        var attacker = Broker.ClientFor("stream-attacker");
        await mine.ShAsync(sandbox.Id, "echo secret > secret.txt");

        using var stream = await ServerSentEventReader.StreamExecAsync(attacker, sandbox.Id, new { command = new[] { "cat", "secret.txt" }, stream = true });

        await BrokerCalls.AssertProblemAsync(stream.Response, 404);
    }

    [Fact]
    public async Task A_bad_streamed_request_is_refused_as_problem_json_before_any_event()
    {
        var client = Broker.ClientFor("stream-bad");
        var sandbox = await client.CreateSandboxAsync();

        using var stream = await ServerSentEventReader.StreamExecAsync(client, sandbox.Id, new { command = Array.Empty<string>(), stream = true });

        await BrokerCalls.AssertProblemAsync(stream.Response, 400);
    }

    [Fact]
    public async Task A_retried_stream_with_the_same_idempotency_key_runs_once_and_replays_the_buffered_answer()
    {
        var client = Broker.ClientFor("stream-idem");
        var sandbox = await client.CreateSandboxAsync();
        var key = Guid.NewGuid().ToString();
        var body = new { command = new[] { "/bin/sh", "-c", "echo ran >> runs; echo hello" }, stream = true };
        using var bound = new CancellationTokenSource(Bound);

        using (var first = await ServerSentEventReader.StreamExecAsync(client, sandbox.Id, body, key, bound.Token))
        {
            await first.UntilAsync(seen => seen.Any(e => e.Name == "exit"), bound.Token);
            // The answer is kept once the response ends, just after its exit event: a retry sent in between finds the
            // first call still running (409), so this one waits for the end, as a client retrying after a drop does.
            while (await first.NextAsync(bound.Token) is not null)
            {
            }
        }
        using var retry = await ServerSentEventReader.StreamExecAsync(client, sandbox.Id, body, key, bound.Token);
        var replayed = JsonSerializer.Deserialize<ExecDto>(await retry.Response.Content.ReadAsStringAsync(bound.Token), JsonSerializerOptions.Web)!;
        var runs = await client.ShAsync(sandbox.Id, "cat runs");

        Assert.Equal("true", retry.Response.Headers.GetValues(AgentCloud.SandboxBroker.Apis.IdempotencyFilter.ReplayedHeader).Single());
        Assert.Equal("hello\n", replayed.Stdout);
        Assert.Equal("ran\n", runs.Stdout);
    }
}
