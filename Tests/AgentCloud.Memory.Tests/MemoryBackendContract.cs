using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.Memory.Tests.Support;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.Memory.Tests;

/// <summary>
/// What Memory promises, run against each backend (pgvector, Qdrant) and each isolation mode (shared, dedicated collection).
/// Tenants are fresh per test, so tests never see each other's data.
/// </summary>
public abstract class MemoryBackendContract
{
    protected abstract MemoryApp App { get; }

    /// <summary>The tenant-id prefix that selects the isolation mode in <see cref="FixedTenantPolicies"/>.</summary>
    protected abstract string TenantPrefix { get; }

    private TenantContext NewTenant(string name, params string[] capabilities) =>
        TestTenantContexts.Tenant($"{TenantPrefix}{name}-{Guid.NewGuid():N}", "pro", capabilities);

    [BackendFact]
    public async Task Two_tenants_with_the_same_collection_name_each_see_only_their_own_points()
    {
        var a = NewTenant("a");
        var b = NewTenant("b");
        using var clientA = App.ClientFor(a);
        using var clientB = App.ClientFor(b);

        await PutOk(clientA, "notes", Point(1, "quarterly revenue report", new() { ["owner"] = "A" }), Point("shared-id", "team offsite plan", new() { ["owner"] = "A" }));
        await PutOk(clientB, "notes", Point(1, "quarterly revenue report", new() { ["owner"] = "B" }), Point("b-only", "secret merger plan", new() { ["owner"] = "B" }));

        var seenByA = await SearchOk(clientA, "notes", new JsonObject { ["text"] = "quarterly revenue report merger plan", ["limit"] = 100 });
        var seenByB = await SearchOk(clientB, "notes", new JsonObject { ["text"] = "quarterly revenue report merger plan", ["limit"] = 100 });

        Assert.Equal(2, seenByA.Count);
        Assert.All(seenByA, r => Assert.Equal("A", (string?)r!["payload"]!["owner"]));
        Assert.Equal(2, seenByB.Count);
        Assert.All(seenByB, r => Assert.Equal("B", (string?)r!["payload"]!["owner"]));
        Assert.Equal(["1", "shared-id"], seenByA.Select(r => r!["id"]!.ToString()).Order());
    }

    [BackendFact]
    public async Task A_filter_naming_tenant_id_is_refused()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        await PutOk(client, "notes", Point(1, "hello world"));

        using var response = await client.PostAsJsonAsync("/v1/memory/notes/search",
            new JsonObject { ["text"] = "hello", ["filter"] = new JsonObject { ["tenant_id"] = "someone-else" } });

        await AssertProblem(response, HttpStatusCode.BadRequest, "tenant_id");
    }

    [BackendFact]
    public async Task A_filter_trying_to_or_around_the_tenant_condition_returns_nothing_of_another_tenant()
    {
        var a = NewTenant("a");
        var b = NewTenant("b");
        using var clientA = App.ClientFor(a);
        using var clientB = App.ClientFor(b);
        await PutOk(clientB, "notes", Point("b1", "payroll for every employee", new() { ["owner"] = "B", ["topic"] = "payroll" }));
        await PutOk(clientA, "notes", Point("a1", "lunch menu", new() { ["owner"] = "A", ["topic"] = "food" }));

        using var or = await clientA.PostAsJsonAsync("/v1/memory/notes/search", new JsonObject
        {
            ["text"] = "payroll",
            ["filter"] = JsonNode.Parse("""{"$or": [{"tenant_id": "x"}, {"topic": "payroll"}]}"""),
        });
        var inList = await SearchOk(clientA, "notes", new JsonObject
        {
            ["text"] = "payroll for every employee",
            ["filter"] = JsonNode.Parse("""{"owner": {"$in": ["A", "B"]}, "topic": {"$in": ["payroll", "food"]}}"""),
        });

        await AssertProblem(or, HttpStatusCode.BadRequest, "$or");
        var only = Assert.Single(inList);
        Assert.Equal("a1", (string?)only!["id"]);
    }

    [BackendFact]
    public async Task A_payload_cannot_set_tenant_id()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);

        using var response = await Put(client, "notes", Point(1, "hello", new() { ["tenant_id"] = "victim" }));

        await AssertProblem(response, HttpStatusCode.BadRequest, "tenant_id");
    }

    [BackendFact]
    public async Task Payload_filters_match_equality_and_in_lists()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        await PutOk(client, "docs",
            Point("en1", "release notes", new() { ["lang"] = "en", ["year"] = 2024, ["public"] = true }),
            Point("fr1", "release notes", new() { ["lang"] = "fr", ["year"] = 2024, ["public"] = false }),
            Point("de1", "release notes", new() { ["lang"] = "de", ["year"] = 2023, ["public"] = true }));

        var english = await SearchOk(client, "docs", new JsonObject { ["text"] = "release", ["filter"] = new JsonObject { ["lang"] = "en" } });
        var publicOf2024 = await SearchOk(client, "docs", new JsonObject { ["text"] = "release", ["filter"] = new JsonObject { ["year"] = 2024, ["public"] = true } });
        var enOrDe = await SearchOk(client, "docs", new JsonObject { ["text"] = "release", ["filter"] = JsonNode.Parse("""{"lang": {"$in": ["en", "de"]}}""") });

        Assert.Equal("en1", (string?)Assert.Single(english)!["id"]);
        Assert.Equal("en1", (string?)Assert.Single(publicOf2024)!["id"]);
        Assert.Equal(["de1", "en1"], enOrDe.Select(r => (string)r!["id"]!).Order());
    }

    [BackendFact]
    public async Task Deleting_a_collection_removes_only_the_callers()
    {
        var a = NewTenant("a");
        var b = NewTenant("b");
        using var clientA = App.ClientFor(a);
        using var clientB = App.ClientFor(b);
        await PutOk(clientA, "notes", Point(1, "alpha"));
        await PutOk(clientA, "other", Point(1, "alpha"));
        await PutOk(clientB, "notes", Point(1, "alpha"));

        using var delete = await clientA.DeleteAsync("/v1/memory/notes");
        using var searchA = await clientA.PostAsJsonAsync("/v1/memory/notes/search", new JsonObject { ["text"] = "alpha" });

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await AssertProblem(searchA, HttpStatusCode.NotFound, "notes");
        Assert.Single(await SearchOk(clientA, "other", new JsonObject { ["text"] = "alpha" }));
        Assert.Single(await SearchOk(clientB, "notes", new JsonObject { ["text"] = "alpha" }));
    }

    [BackendFact]
    public async Task Offboarding_removes_every_collection_of_that_tenant_and_nothing_else()
    {
        var a = NewTenant("a");
        var b = NewTenant("b");
        using var clientA = App.ClientFor(a);
        using var clientB = App.ClientFor(b);
        await PutOk(clientA, "notes", Point(1, "alpha"));
        await PutOk(clientA, "vectors", VectorPoint(1, [1, 0, 0]));
        await PutOk(clientB, "notes", Point(1, "alpha"));

        var removed = await App.Service.OffboardTenantAsync(a.TenantId, CancellationToken.None);

        Assert.Equal(2, removed);
        foreach (var collection in new[] { "notes", "vectors" })
        {
            using var search = await clientA.PostAsJsonAsync($"/v1/memory/{collection}/search", new JsonObject { ["vector"] = new JsonArray(1, 0, 0) });
            Assert.Equal(HttpStatusCode.NotFound, search.StatusCode);
        }
        Assert.Single(await SearchOk(clientB, "notes", new JsonObject { ["text"] = "alpha" }));
    }

    [BackendFact]
    public async Task A_text_query_returns_the_point_whose_text_shares_its_words_first()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        await PutOk(client, "kb",
            Point("cats", "the cat sat on the warm mat"),
            Point("markets", "stock markets fell sharply on inflation fears"),
            Point("bread", "how to bake sourdough bread with a starter"),
            Point("rockets", "the rocket launch was delayed by weather"));

        var results = await SearchOk(client, "kb", new JsonObject { ["text"] = "baking sourdough bread at home", ["limit"] = 4 });

        Assert.Equal("bread", (string?)results[0]!["id"]);
        Assert.True((double)results[0]!["score"]! > (double)results[1]!["score"]!);
    }

    [BackendFact]
    public async Task Vectors_given_directly_are_searched_by_cosine_similarity_and_ids_keep_their_type()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        await PutOk(client, "vec", VectorPoint(7, [1, 0, 0]), VectorPoint("y", [0, 1, 0]), VectorPoint("xy", [1, 1, 0]));

        var results = await SearchOk(client, "vec", new JsonObject { ["vector"] = new JsonArray(1, 0.1, 0), ["limit"] = 2 });

        Assert.Equal(JsonValueKind.Number, results[0]!["id"]!.GetValueKind());
        Assert.Equal(7, (int)results[0]!["id"]!);
        Assert.Equal("xy", (string?)results[1]!["id"]);
        Assert.InRange((double)results[0]!["score"]!, 0.99, 1.0);
    }

    [BackendFact]
    public async Task Upserting_an_existing_id_replaces_the_point()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        await PutOk(client, "vec", VectorPoint("p", [1, 0], new() { ["v"] = 1 }));
        await PutOk(client, "vec", VectorPoint("p", [0, 1], new() { ["v"] = 2 }));

        var results = await SearchOk(client, "vec", new JsonObject { ["vector"] = new JsonArray(0, 1) });

        var only = Assert.Single(results);
        Assert.Equal(2, (int)only!["payload"]!["v"]!);
    }

    [BackendFact]
    public async Task A_vector_of_the_wrong_dimension_is_refused_on_write_and_search()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        await PutOk(client, "notes", Point(1, "text makes it 256 dimensions"));

        using var put = await Put(client, "notes", VectorPoint(2, [1, 2, 3]));
        using var search = await client.PostAsJsonAsync("/v1/memory/notes/search", new JsonObject { ["vector"] = new JsonArray(1, 2, 3) });
        using var mixed = await Put(client, "fresh", VectorPoint(1, [1, 2]), VectorPoint(2, [1, 2, 3]));

        await AssertProblem(put, HttpStatusCode.BadRequest, "256");
        await AssertProblem(search, HttpStatusCode.BadRequest, "256");
        await AssertProblem(mixed, HttpStatusCode.BadRequest, "dimensions");
    }

    [BackendFact]
    public async Task Ten_thousand_points_in_one_call_are_refused()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        var points = Enumerable.Range(0, 10_000).Select(i => VectorPoint(i, [1, 0])).ToArray();

        using var response = await Put(client, "bulk", points);

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "1000");
    }

    [BackendFact]
    public async Task Bad_points_are_refused_with_a_problem_naming_the_point()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        var cases = new (JsonObject Point, string Mentions)[]
        {
            (new JsonObject { ["id"] = 1, ["text"] = "   " }, "empty text"),
            (new JsonObject { ["id"] = 1 }, "exactly one"),
            (new JsonObject { ["id"] = 1, ["text"] = "x", ["vector"] = new JsonArray(1) }, "exactly one"),
            (new JsonObject { ["id"] = -3, ["text"] = "x" }, "non-negative"),
            (new JsonObject { ["id"] = new JsonObject(), ["text"] = "x" }, "points[0].id"),
            (new JsonObject { ["id"] = 1, ["text"] = new string('w', 9_000) }, "9000 characters"),
            (new JsonObject { ["id"] = 1, ["vector"] = new JsonArray(0, 0) }, "all zeros"),
            (new JsonObject { ["id"] = 1, ["text"] = "x", ["payload"] = new JsonObject { ["$set"] = 1 } }, "$set"),
            (new JsonObject { ["id"] = 1, ["vector"] = new JsonArray(1), ["payload"] = new JsonObject { ["note"] = "a\0b" } }, "NUL"),
            (new JsonObject { ["id"] = 1, ["vector"] = new JsonArray(1), ["payload"] = new JsonObject { ["tags"] = new JsonArray("ok", "\0") } }, "NUL"),
            (new JsonObject { ["id"] = 1, ["text"] = "nul\0inside" }, "NUL"),
        };

        foreach (var (point, mentions) in cases)
        {
            using var response = await client.PutAsJsonAsync("/v1/memory/notes/points", new JsonObject { ["points"] = new JsonArray(point) });
            await AssertProblem(response, HttpStatusCode.BadRequest, mentions);
        }
    }

    [BackendFact]
    public async Task Malformed_json_and_wrong_types_are_refused_with_a_problem()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        await PutOk(client, "notes", Point(1, "hello"));
        var bodies = new[]
        {
            ("PUT", "/v1/memory/notes/points", "{\"points\": [ {\"id\": 1, \"text\": \"unterminated"),
            ("PUT", "/v1/memory/notes/points", "{\"points\": \"not a list\"}"),
            ("PUT", "/v1/memory/notes/points", "{\"points\": [{\"id\": 1, \"vector\": [\"a\", \"b\"]}]}"),
            ("PUT", "/v1/memory/notes/points", "{\"points\": []}"),
            ("POST", "/v1/memory/notes/search", "{\"text\": \"hello\", \"limit\": \"ten\"}"),
            ("POST", "/v1/memory/notes/search", "[1, 2, 3]"),
        };

        foreach (var (method, path, body) in bodies)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [BackendFact]
    public async Task Search_limits_outside_1_to_100_are_refused()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);
        await PutOk(client, "notes", Point(1, "hello"));

        foreach (var limit in new[] { 0, 101, -1 })
        {
            using var response = await client.PostAsJsonAsync("/v1/memory/notes/search", new JsonObject { ["text"] = "hello", ["limit"] = limit });
            await AssertProblem(response, HttpStatusCode.BadRequest, "limit");
        }
    }

    [BackendFact]
    public async Task Unknown_collections_are_404_on_search_and_delete_even_when_another_tenant_has_one_of_that_name()
    {
        var a = NewTenant("a");
        var b = NewTenant("b");
        using var clientA = App.ClientFor(a);
        using var clientB = App.ClientFor(b);
        await PutOk(clientA, "private", Point(1, "alpha"));

        using var search = await clientB.PostAsJsonAsync("/v1/memory/private/search", new JsonObject { ["text"] = "alpha" });
        using var delete = await clientB.DeleteAsync("/v1/memory/private");

        await AssertProblem(search, HttpStatusCode.NotFound, "private");
        await AssertProblem(delete, HttpStatusCode.NotFound, "private");
        Assert.Single(await SearchOk(clientA, "private", new JsonObject { ["text"] = "alpha" }));
    }

    [BackendFact]
    public async Task Calls_without_the_memory_capability_are_forbidden()
    {
        var reader = NewTenant("r", "memory:read");
        var writer = NewTenant("w", "memory:write");
        using var readerClient = App.ClientFor(reader);
        using var writerClient = App.ClientFor(writer);

        using var put = await Put(readerClient, "notes", Point(1, "hello"));
        using var delete = await readerClient.DeleteAsync("/v1/memory/notes");
        using var search = await writerClient.PostAsJsonAsync("/v1/memory/notes/search", new JsonObject { ["text"] = "hello" });

        await AssertProblem(put, HttpStatusCode.Forbidden, "memory:write");
        await AssertProblem(delete, HttpStatusCode.Forbidden, "memory:write");
        await AssertProblem(search, HttpStatusCode.Forbidden, "memory:read");
    }

    [BackendFact]
    public async Task A_tenant_the_control_plane_no_longer_knows_cannot_create_a_collection()
    {
        var gone = TestTenantContexts.Tenant(FixedTenantPolicies.GonePrefix + Guid.NewGuid().ToString("N"));
        using var client = App.ClientFor(gone);

        using var response = await Put(client, "notes", Point(1, "hello"));

        await AssertProblem(response, HttpStatusCode.NotFound, "no longer exists");
    }

    [BackendFact]
    public async Task A_collection_name_that_is_not_a_plain_name_is_refused()
    {
        var a = NewTenant("a");
        using var client = App.ClientFor(a);

        using var response = await Put(client, "..%2Fetc", Point(1, "hello"));

        await AssertProblem(response, HttpStatusCode.BadRequest, "collection name");
    }

    [BackendFact]
    public async Task A_tenant_lists_its_own_collections_with_point_counts_and_never_another_tenants()
    {
        var a = NewTenant("a", "memory:read", "memory:write");
        var b = NewTenant("b", "memory:read", "memory:write");
        using var clientA = App.ClientFor(a);
        using var clientB = App.ClientFor(b);
        await PutOk(clientA, "notes", Point(1, "one"), Point(2, "two"), Point(3, "three"));
        await PutOk(clientA, "alpha", Point(1, "only one"));
        await PutOk(clientB, "notes", Point(1, "b's"));
        await PutOk(clientB, "b-secret-plans", Point(1, "b's plan"));

        var listedByA = JsonNode.Parse(await clientA.GetStringAsync("/v1/memory"))!;
        var bodyA = listedByA.ToJsonString();

        var rows = listedByA["collections"]!.AsArray().Select(c => ((string?)c!["name"], (long?)c["points"])).ToList();
        Assert.Equal([("alpha", 1L), ("notes", 3L)], rows);
        Assert.DoesNotContain("b-secret-plans", bodyA);
        Assert.Null((string?)listedByA["nextCursor"]);
    }

    [BackendFact]
    public async Task Collection_pages_follow_the_cursor_and_bad_paging_is_400()
    {
        var a = NewTenant("a", "memory:read", "memory:write");
        using var client = App.ClientFor(a);
        foreach (var name in new[] { "c1", "c2", "c3" })
        {
            await PutOk(client, name, Point(1, name));
        }

        var first = JsonNode.Parse(await client.GetStringAsync("/v1/memory?limit=2"))!;
        var second = JsonNode.Parse(await client.GetStringAsync($"/v1/memory?limit=2&cursor={(string?)first["nextCursor"]}"))!;
        using var badLimit = await client.GetAsync("/v1/memory?limit=0");
        using var badCursor = await client.GetAsync("/v1/memory?cursor=%20drop");

        Assert.Equal(["c1", "c2", "c3"], first["collections"]!.AsArray().Concat(second["collections"]!.AsArray()).Select(c => (string?)c!["name"]));
        Assert.Null((string?)second["nextCursor"]);
        await AssertProblem(badLimit, HttpStatusCode.BadRequest, "limit");
        await AssertProblem(badCursor, HttpStatusCode.BadRequest, "cursor");
    }

    [BackendFact]
    public async Task Listing_collections_needs_memory_read()
    {
        using var client = App.ClientFor(NewTenant("a", "memory:write"));

        using var response = await client.GetAsync("/v1/memory");

        await AssertProblem(response, HttpStatusCode.Forbidden, "memory:read");
    }

    protected static JsonObject Point(JsonNode id, string text, JsonObject? payload = null) =>
        new() { ["id"] = id, ["text"] = text, ["payload"] = payload };

    protected static JsonObject VectorPoint(JsonNode id, double[] vector, JsonObject? payload = null) =>
        new() { ["id"] = id, ["vector"] = new JsonArray([.. vector.Select(v => (JsonNode)v)]), ["payload"] = payload };

    protected static Task<HttpResponseMessage> Put(HttpClient client, string collection, params JsonObject[] points) =>
        client.PutAsJsonAsync($"/v1/memory/{collection}/points", new JsonObject { ["points"] = new JsonArray([.. points]) });

    protected static async Task PutOk(HttpClient client, string collection, params JsonObject[] points)
    {
        using var response = await Put(client, collection, points);
        Assert.True(response.IsSuccessStatusCode, $"PUT {collection}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    protected static async Task<JsonArray> SearchOk(HttpClient client, string collection, JsonObject request)
    {
        using var response = await client.PostAsJsonAsync($"/v1/memory/{collection}/search", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"search {collection}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!["results"]!.AsArray();
    }

    protected static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detailMentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.StartsWith("https://agentcloud.dev/problems/", (string?)problem["type"]);
        Assert.Contains(detailMentions, (string?)problem["detail"] ?? "");
    }
}
