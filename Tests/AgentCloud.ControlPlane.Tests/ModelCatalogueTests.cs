using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Extensions;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>The model catalogue and the tiers' share of it come from configuration, not from code.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class ModelCatalogueTests(ControlPlaneFixture cp)
{
    /// <summary>The same ControlPlane and database, configured with a provider's models instead of the simulator's.</summary>
    private WebApplicationFactory<Program> WithProviderModels() => cp.Factory.WithWebHostBuilder(web =>
    {
        web.UseSetting("ControlPlane:Catalogue:Models:0:Id", "gpt-4o-mini");
        web.UseSetting("ControlPlane:Catalogue:Models:0:MaxContextTokens", "128000");
        web.UseSetting("ControlPlane:Catalogue:Models:1:Id", "llama-3.1-70b");
        web.UseSetting("ControlPlane:Catalogue:Models:1:MaxContextTokens", "8192");
        web.UseSetting("ControlPlane:Catalogue:Tiers:free:DefaultMaxOutputTokens", "512");
    });

    [Fact]
    public async Task A_configured_model_id_is_accepted_in_a_tenant_and_one_not_configured_is_refused_naming_those_that_are()
    {
        await using var factory = WithProviderModels();
        using var client = factory.CreateClient().As(TestTenantContexts.Operator);

        using var accepted = await client.PostAsJsonAsync("/admin/v1/tenants", new { name = "Provider tenant", tier = "pro", models = new[] { new { id = "llama-3.1-70b", maxContextTokens = 4096 } } });
        using var refused = await client.PostAsJsonAsync("/admin/v1/tenants", new { name = "Stale tenant", tier = "pro", models = new[] { new { id = "sim-small" } } });
        using var tooLong = await client.PostAsJsonAsync("/admin/v1/tenants", new { name = "Greedy tenant", tier = "pro", models = new[] { new { id = "llama-3.1-70b", maxContextTokens = 9000 } } });

        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        using var tenant = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync());
        var model = Assert.Single(tenant.RootElement.GetProperty("models").EnumerateArray());
        Assert.Equal(("llama-3.1-70b", 4096), (model.GetProperty("id").GetString(), model.GetProperty("maxContextTokens").GetInt32()));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var detail = await refused.Content.ReadAsStringAsync();
        Assert.Contains("Unknown model 'sim-small'", detail);
        Assert.Contains("gpt-4o-mini, llama-3.1-70b", detail);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("between 1 and 8192", await tooLong.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_free_tier_gets_the_first_configured_model_and_its_output_budget_the_paid_tiers_every_model()
    {
        await using var factory = WithProviderModels();
        using var client = factory.CreateClient().As(TestTenantContexts.Operator);

        using var free = JsonDocument.Parse(await (await client.PostAsJsonAsync("/admin/v1/tenants", new { name = "Free one", tier = "free" })).Content.ReadAsStringAsync());
        using var pro = JsonDocument.Parse(await (await client.PostAsJsonAsync("/admin/v1/tenants", new { name = "Pro one", tier = "pro" })).Content.ReadAsStringAsync());

        string[] Ids(JsonDocument t) => [.. t.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
        Assert.Equal(["gpt-4o-mini"], Ids(free));
        Assert.Equal(["gpt-4o-mini", "llama-3.1-70b"], Ids(pro));
        Assert.Equal(512, free.RootElement.GetProperty("policy").GetProperty("defaultMaxOutputTokens").GetInt32());
        Assert.Equal(4096, pro.RootElement.GetProperty("policy").GetProperty("defaultMaxOutputTokens").GetInt32());
    }

    [Fact]
    public void A_catalogue_without_models_or_with_a_tier_naming_an_unknown_model_is_refused_at_start_saying_which()
    {
        var empty = Problems(new ModelCatalogueOptions());
        var unknownInTier = Problems(new ModelCatalogueOptions
        {
            Models = [new CatalogueModel { Id = "gpt-4o", MaxContextTokens = 128_000 }],
            Tiers = { ["free"] = new TierModelOptions { Models = ["gpt-5"] } },
        });
        var duplicate = Problems(new ModelCatalogueOptions
        {
            Models = [new CatalogueModel { Id = "gpt-4o", MaxContextTokens = 128_000 }, new CatalogueModel { Id = "gpt-4o", MaxContextTokens = 0 }],
        });

        Assert.Contains(empty, p => p.Contains("lists no model"));
        Assert.Contains(unknownInTier, p => p.Contains("Tiers:free:Models names 'gpt-5'"));
        Assert.Contains(duplicate, p => p.Contains("Models:1:Id must be set and unique"));
        Assert.Contains(duplicate, p => p.Contains("MaxContextTokens of 'gpt-4o' must be at least 1"));
    }

    [Fact]
    public void A_tier_that_names_its_models_gets_exactly_those()
    {
        var catalog = TestCatalogue.Of(new ModelCatalogueOptions
        {
            Models = [new CatalogueModel { Id = "small", MaxContextTokens = 8_192 }, new CatalogueModel { Id = "large", MaxContextTokens = 32_768 }],
            Tiers = { ["free"] = new TierModelOptions { Models = ["large"] }, ["pro"] = new TierModelOptions { Models = ["small"] } },
        });

        Assert.Equal(["large"], Tiers.Defaults("t", Tiers.Free, catalog).Models.Select(m => m.Id));
        Assert.Equal(["small"], Tiers.Defaults("t", Tiers.Pro, catalog).Models.Select(m => m.Id));
        Assert.Equal(["small", "large"], Tiers.Defaults("t", Tiers.Enterprise, catalog).Models.Select(m => m.Id));
    }

    private static List<string> Problems(ModelCatalogueOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage!)];
    }
}
