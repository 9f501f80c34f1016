using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using AgentCloud.Memory.Tests.Support;
using AgentCloud.Tests.Shared;

namespace AgentCloud.Memory.Tests.Faults;

/// <summary>Memory while its Postgres is frozen (SIGSTOP): 503 with Retry-After within the promise, never a hang; served again after.</summary>
public sealed class MemoryStoreFaultTests : IAsyncLifetime
{
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(2);
    private readonly PgvectorBackend _backend = new(); // its own server: this test freezes it

    public Task InitializeAsync() => _backend.InitializeAsync();

    public Task DisposeAsync() => _backend.DisposeAsync();

    private static object Points(int id) => new { points = new[] { new { id, vector = new[] { 0.1f, 0.2f, 0.3f }, payload = new { n = id } } } };

    [Fact]
    public async Task Upsert_and_search_answer_503_with_retry_after_while_postgres_is_frozen_and_succeed_once_it_thaws()
    {
        var tenant = TestTenantContexts.Tenant("shr-fault", "pro", "memory:read", "memory:write");
        using var client = _backend.App.ClientFor(tenant);
        // Set-up as a client does it: a cold store's first write may overrun the deadline on a loaded machine (503, try again).
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var first = await client.PutAsJsonAsync("/v1/memory/notes/points", Points(1));
            return first.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(15), "memory's first write");

        var answers = new List<(HttpStatusCode Status, string? MediaType, bool RetryAfter, TimeSpan Took)>();
        await _backend.Postgres.PauseAsync();
        try
        {
            foreach (var call in new Func<Task<HttpResponseMessage>>[]
            {
                () => client.PutAsJsonAsync("/v1/memory/notes/points", Points(2)),
                () => client.PostAsJsonAsync("/v1/memory/notes/search", new { vector = new[] { 0.1f, 0.2f, 0.3f } }),
            })
            {
                var clock = Stopwatch.StartNew();
                using var response = await call();
                answers.Add((response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter is not null, clock.Elapsed));
            }
        }
        finally
        {
            await _backend.Postgres.ResumeAsync();
        }

        Assert.All(answers, a =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status);
            Assert.Equal("application/problem+json", a.MediaType);
            Assert.True(a.RetryAfter);
            Assert.True(a.Took < Promise, $"answered after {a.Took}");
        });
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var again = await client.PutAsJsonAsync("/v1/memory/notes/points", Points(2));
            return again.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(15), "memory to serve again once postgres thaws");
        var hits = await client.PostAsJsonAsync("/v1/memory/notes/search", new { vector = new[] { 0.1f, 0.2f, 0.3f } });
        Assert.Equal(HttpStatusCode.OK, hits.StatusCode);
    }
}
