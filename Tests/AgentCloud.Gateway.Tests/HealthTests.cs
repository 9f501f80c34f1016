using System.Net;
using System.Text.Json;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// The Gateway's public /health says healthy or not and names its checks, never a failing check's exception text
/// (hosts, ports, internals); the operator key sees it. A service not deployed yet does not stop the Gateway.
/// </summary>
public sealed class HealthTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _gateway = env.NewGateway();

    [Fact]
    public async Task A_failing_check_shows_its_exception_text_to_the_operator_only()
    {
        using var anonymous = _gateway.Client();
        using var tenant = _gateway.Client(env.ControlPlane.AddKey("curious").Key);
        using var operatorClient = _gateway.Client(GatewayFactory.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);

        await env.Redis.StopAsync();
        try
        {
            var publicBody = await ReadAsync(await anonymous.GetAsync("/health"));
            var tenantBody = await ReadAsync(await tenant.GetAsync("/health"));
            var operatorBody = await ReadAsync(await operatorClient.GetAsync("/health"));

            Assert.Equal("Unhealthy", publicBody.GetProperty("status").GetString());
            Assert.All([publicBody, tenantBody], body => Assert.All(body.GetProperty("checks").EnumerateObject(),
                c => Assert.Equal(JsonValueKind.Null, c.Value.GetProperty("error").ValueKind)));
            Assert.Contains(operatorBody.GetProperty("checks").EnumerateObject(),
                c => c.Value.GetProperty("error").ValueKind == JsonValueKind.String);
        }
        finally
        {
            await env.Redis.StartAsync();
        }
    }

    [Fact]
    public async Task The_gateway_starts_and_serves_while_the_tools_service_is_not_deployed()
    {
        using var gateway = env.NewGateway(new Dictionary<string, string?> { ["Services:tools:http:0"] = null });
        var (_, key) = env.ControlPlane.AddKey("early", capabilities: ["inference", "tool:search"]);
        using var client = gateway.Client(key);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
        var mcp = await client.PostAsync("/v1/mcp", new StringContent("{}"));
        Assert.True((int)mcp.StatusCode is 502 or 503, $"got {(int)mcp.StatusCode}");
        Assert.Equal("application/problem+json", mcp.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public void Dispose() => _gateway.Dispose();
}
