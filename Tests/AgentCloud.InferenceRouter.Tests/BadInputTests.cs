using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;

namespace AgentCloud.InferenceRouter.Tests;

[Collection(RouterCollection.Name)]
public sealed class BadInputTests(RouterPlatform platform)
{
    public static TheoryData<string, string> Bodies => new()
    {
        { "{\"model\": \"sim-small\", \"messages\": [", "not valid JSON" },
        { "\"just a string\"", "JSON object" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "'model'" },
        { "{\"model\": 42, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "'model'" },
        { "{\"model\": \"sim-small\"}", "'messages'" },
        { "{\"model\": \"sim-small\", \"messages\": []}", "non-empty array" },
        { "{\"model\": \"sim-small\", \"messages\": {\"role\": \"user\"}}", "'messages'" },
        { "{\"model\": \"sim-small\", \"messages\": [\"hi\"]}", "messages[0]" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "messages[0].role" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\"}]}", "messages[0].content" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": 7}]}", "messages[0].content" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", "content[0]' must be" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": -1}", "'max_tokens'" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}", "'max_tokens'" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1e30}", "'max_tokens'" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 99999999}", "'max_tokens'" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": \"10\"}", "'max_tokens'" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": \"yes\"}", "'stream'" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 3}", "'n'" },
        { "{\"model\": \"sim-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"cache_salt\": \"a\", \"cache_salt\": \"b\"}", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Bad_chat_bodies_are_refused_with_a_problem_that_names_the_fault(string body, string expected)
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("https://agentcloud.dev/problems/", problem["type"]!.GetValue<string>());
        Assert.Contains(expected, problem["detail"]!.GetValue<string>());
        Assert.Empty(await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId));
    }

    [Theory]
    [InlineData("{\"model\": \"sim-small\"}")]
    [InlineData("{\"model\": \"sim-small\", \"input\": []}")]
    [InlineData("{\"model\": \"sim-small\", \"input\": [\"\"]}")]
    [InlineData("{\"model\": \"sim-small\", \"input\": [[1, -2, 3]]}")]
    [InlineData("{\"model\": \"sim-small\", \"input\": [[1, \"two\"]]}")]
    [InlineData("{\"model\": \"sim-small\", \"input\": [[]]}")]
    [InlineData("{\"model\": \"sim-small\", \"input\": [1.5, 2]}")]
    [InlineData("{\"model\": \"sim-small\", \"input\": \"x\", \"dimensions\": -4}")]
    public async Task Bad_embedding_bodies_are_refused_with_a_problem(string body)
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free"));

        using var response = await client.PostAsync("/v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }
}
