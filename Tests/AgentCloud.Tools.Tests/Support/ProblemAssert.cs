using System.Net;
using System.Text.Json;

namespace AgentCloud.Tools.Tests.Support;

public static class ProblemAssert
{
    /// <summary>Asserts a problem+json answer with the status, a type and a detail; returns the detail.</summary>
    public static async Task<string> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.StartsWith("https://", json.RootElement.GetProperty("type").GetString());
        var detail = json.RootElement.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        return detail!;
    }
}
