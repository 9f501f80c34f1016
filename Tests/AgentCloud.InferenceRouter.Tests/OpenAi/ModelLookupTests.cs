using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.InferenceRouter.Tests.OpenAi;

/// <summary>GET /v1/models/{id}: the tenant's own models only; everything else is one indistinguishable 404.</summary>
[Collection(RouterCollection.Name)]
public sealed class ModelLookupTests(RouterPlatform platform)
{
    [Fact]
    public async Task An_entitled_model_is_returned_as_an_openai_model_object()
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("pro", models: [new ModelEntitlement("sim-large", 2048)]));

        var model = await client.GetFromJsonAsync<JsonNode>("/v1/models/sim-large");

        Assert.Equal(("sim-large", "model", 2048), (model!["id"]!.GetValue<string>(), model["object"]!.GetValue<string>(), model["max_context_tokens"]!.GetValue<int>()));
        Assert.NotNull(model["owned_by"]);
    }

    [Fact]
    public async Task Tenant_a_cannot_see_a_model_entitled_only_to_tenant_b_and_cannot_tell_it_exists()
    {
        // B alone is entitled to sim-large (it is served); A is entitled to sim-small only.
        var a = platform.Policies.Add("free", models: [new ModelEntitlement("sim-small", 2048)]);
        platform.Policies.Add("enterprise", models: [new ModelEntitlement("sim-large", 8192)]);
        using var client = platform.Router.ClientFor(a);

        using var othersModel = await client.GetAsync("/v1/models/sim-large");
        using var noSuchModel = await client.GetAsync("/v1/models/no-such-model");
        using var notServed = await client.GetAsync("/v1/models/sim-small%2F..%2Fsim-large");

        foreach (var response in new[] { othersModel, noSuchModel, notServed })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }
        var other = JsonNode.Parse(await othersModel.Content.ReadAsStringAsync())!;
        var none = JsonNode.Parse(await noSuchModel.Content.ReadAsStringAsync())!;
        Assert.EndsWith("/model-not-found", other["type"]!.GetValue<string>());
        // The same answer, but for the id echoed back: nothing tells A that sim-large exists for someone.
        Assert.Equal(none["detail"]!.GetValue<string>().Replace("no-such-model", "sim-large"), other["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_model_the_tenant_is_entitled_to_but_no_endpoint_serves_is_not_found()
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free", models: [new ModelEntitlement("not-served-anywhere", 2048)]));

        using var response = await client.GetAsync("/v1/models/not-served-anywhere");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
