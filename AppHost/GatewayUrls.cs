namespace AgentCloud.AppHost;

/// <summary>
/// The Gateway's links in the dashboard: the Gateway itself and, beside it, the console, the API reference and the
/// OpenAPI document it serves, so a new user finds them from the resource list.
/// </summary>
public static class GatewayUrls
{
    public const string ReferencePath = "/docs/";
    public const string DocumentPath = "/openapi/v1.json";
    public const string ConsolePath = "/console/";

    public static void Describe(ResourceUrlsCallbackContext context)
    {
        var gateway = context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == "http");
        if (gateway is null)
        {
            return;
        }
        gateway.DisplayText = "Gateway";
        var root = gateway.Url.TrimEnd('/');
        context.Urls.Add(new ResourceUrlAnnotation { Url = root + ConsolePath, DisplayText = "Console", Endpoint = gateway.Endpoint });
        context.Urls.Add(new ResourceUrlAnnotation { Url = root + ReferencePath, DisplayText = "API reference", Endpoint = gateway.Endpoint });
        context.Urls.Add(new ResourceUrlAnnotation { Url = root + DocumentPath, DisplayText = "OpenAPI document", Endpoint = gateway.Endpoint });
    }
}
