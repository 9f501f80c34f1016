using System.Net;
using System.Text.Json;

namespace AgentCloud.AppHost.Tests;

[Collection(PlatformCollection.Name)]
public sealed class PlatformHealthTests(PlatformFixture platform)
{
    [Fact]
    public async Task Every_service_reports_healthy_with_its_dependency_checks()
    {
        foreach (var service in PlatformFixture.Services)
        {
            using var client = platform.App.CreateHttpClient(service, "http");
            var response = await client.GetAsync("/health");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        }
    }

    [Theory]
    [InlineData("controlplane", "PostgreSql")]
    [InlineData("controlplane", "StackExchange.Redis")]
    [InlineData("usage-aggregator", "PostgreSql")]
    [InlineData("gateway", "StackExchange.Redis")]
    public async Task Service_health_includes_its_store(string service, string check)
    {
        using var client = platform.App.CreateHttpClient(service, "http");
        using var body = JsonDocument.Parse(await client.GetStringAsync("/health"));

        var checks = body.RootElement.GetProperty("checks");
        Assert.Contains(checks.EnumerateObject(), c => c.Name.StartsWith(check, StringComparison.Ordinal) && c.Value.GetProperty("status").GetString() == "Healthy");
    }

    [Fact]
    public async Task Memory_health_says_it_runs_on_pgvector_because_qdrant_is_not_available()
    {
        using var client = platform.App.CreateHttpClient("memory", "http");
        using var body = JsonDocument.Parse(await client.GetStringAsync("/health"));

        var description = body.RootElement.GetProperty("checks").GetProperty("vector-backend").GetProperty("description").GetString();
        Assert.StartsWith("vector backend: pgvector (Qdrant not available)", description);
    }
}
