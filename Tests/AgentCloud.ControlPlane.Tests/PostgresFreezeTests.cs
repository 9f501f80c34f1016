using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>
/// The ControlPlane while its Postgres is frozen (SIGSTOP) or stopped, on a fixture of its own: a 503 with Retry-After
/// or a 200, never a 500 or a hang, and served again once Postgres is back. A stopped Postgres is refused at once; a
/// frozen one costs the 1 s command deadline plus the ~2 s Npgsql spends giving up on a server that never answers.
/// </summary>
public sealed class PostgresFreezeTests(ControlPlaneFixture cp) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FrozenBound = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Writes_and_key_resolution_answer_503_with_retry_after_or_200_in_time_while_postgres_is_frozen()
    {
        var tenantId = await cp.CreateTenantAsync();
        var (_, key) = await cp.CreateKeyAsync(tenantId);
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        using var operatorClient = cp.Operator();

        var answers = new List<(string Call, HttpStatusCode Status, string? MediaType, bool RetryAfter, TimeSpan Took)>();
        await cp.Postgres.PauseAsync();
        try
        {
            foreach (var (name, call) in new (string, Func<Task<HttpResponseMessage>>)[]
            {
                ("create tenant", () => operatorClient.PostAsJsonAsync("/admin/v1/tenants", new { name = "Frozen", tier = "pro" })),
                ("resolve key", () => gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new ResolveKeyRequest(key))),
            })
            {
                var clock = Stopwatch.StartNew();
                using var response = await call();
                answers.Add((name, response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter is not null, clock.Elapsed));
            }
        }
        finally
        {
            await cp.Postgres.ResumeAsync();
        }

        Assert.All(answers, a => Assert.True(a.Took < FrozenBound, $"{a.Call} answered after {a.Took}"));
        var create = answers[0];
        Assert.Equal(HttpStatusCode.ServiceUnavailable, create.Status);
        Assert.Equal("application/problem+json", create.MediaType);
        Assert.True(create.RetryAfter);
        var resolve = answers[1];
        Assert.True(resolve.Status == HttpStatusCode.OK || (resolve.Status == HttpStatusCode.ServiceUnavailable && resolve.RetryAfter),
            $"resolve answered {(int)resolve.Status}");
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var again = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new ResolveKeyRequest(key));
            return again.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(15), "key resolution to work again once postgres thaws");
    }

    [Fact]
    public async Task A_write_answers_503_with_retry_after_at_once_while_postgres_is_stopped()
    {
        using var operatorClient = cp.Operator();
        await cp.CreateTenantAsync(); // warm pool
        await cp.Postgres.StopAsync(crash: true);
        HttpStatusCode status;
        bool retryAfter;
        TimeSpan took;
        try
        {
            var clock = Stopwatch.StartNew();
            using var response = await operatorClient.PostAsJsonAsync("/admin/v1/tenants", new { name = "Stopped", tier = "pro" });
            (status, retryAfter, took) = (response.StatusCode, response.Headers.RetryAfter is not null, clock.Elapsed);
        }
        finally
        {
            await cp.Postgres.StartAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.True(retryAfter);
        Assert.True(took < Promise, $"answered after {took}");
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var again = await operatorClient.PostAsJsonAsync("/admin/v1/tenants", new { name = "Back", tier = "pro" });
            return again.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(15), "tenant creation to work again once postgres is back");
    }
}
