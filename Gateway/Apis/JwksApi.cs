using System.Text.Json.Nodes;
using AgentCloud.Gateway.Signing;

namespace AgentCloud.Gateway.Apis;

/// <summary>Publishes the public keys services verify tenant contexts with.</summary>
public static class JwksApi
{
    public const string Path = "/.well-known/jwks.json";

    public static RouteHandlerBuilder MapJwksApi(this IEndpointRouteBuilder app) =>
        app.MapGet(Path, GetJwks);

    public static IResult GetJwks(GatewaySigningKeys keys)
    {
        var list = new JsonArray();
        foreach (var k in keys.PublicJwks.Keys)
        {
            list.Add(new JsonObject
            {
                ["kty"] = k.Kty, ["crv"] = k.Crv, ["x"] = k.X, ["y"] = k.Y, ["kid"] = k.Kid, ["use"] = k.Use, ["alg"] = k.Alg,
            });
        }
        return TypedResults.Text(new JsonObject { ["keys"] = list }.ToJsonString(), "application/jwk-set+json");
    }
}
