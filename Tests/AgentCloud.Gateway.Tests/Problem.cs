using System.Net;
using System.Text.Json;

namespace AgentCloud.Gateway.Tests;

internal static class Problem
{
    /// <summary>Asserts a problem+json answer with the status, a type and a detail, and returns the detail.</summary>
    public static async Task<string> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? detailFragment = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, body.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("type").GetString()));
        var detail = body.RootElement.GetProperty("detail").GetString() ?? "";
        if (detailFragment is not null)
        {
            Assert.Contains(detailFragment, detail, StringComparison.OrdinalIgnoreCase);
        }
        return detail;
    }
}
