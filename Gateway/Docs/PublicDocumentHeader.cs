using System.Text.Json.Nodes;

namespace AgentCloud.Gateway.Docs;

/// <summary>What the merged document says of itself: title, how callers authenticate, and where the rest is explained.</summary>
public static class PublicDocumentHeader
{
    public const string BearerScheme = "bearer";

    public static JsonObject Create() => new()
    {
        ["openapi"] = "3.1.1",
        ["info"] = new JsonObject
        {
            ["title"] = "AgentCloud public API",
            ["version"] = "v1",
            ["description"] =
                "Every call goes through the Gateway with `Authorization: Bearer <key>`: a tenant API key for `/v1/*` " +
                "(each route needs one capability of the key), the operator key for `/admin/v1/*`. Errors are " +
                "`application/problem+json` with a `type` and a `detail`. The repository's docs/api.md explains the contract.",
        },
        ["components"] = new JsonObject
        {
            ["securitySchemes"] = new JsonObject
            {
                [BearerScheme] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["description"] = "A tenant API key, or the operator key for /admin." },
            },
        },
        ["security"] = new JsonArray(new JsonObject { [BearerScheme] = new JsonArray() }),
    };
}
