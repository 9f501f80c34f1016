namespace AgentCloud.AppHost.Qdrant;

public static class QdrantBuilderExtensions
{
    public const string Image = "qdrant/qdrant";
    public const string Tag = "v1.15.4";
    public const string Registry = "docker.io";

    /// <summary>
    /// Adds a Qdrant container with gRPC and HTTP endpoints, an API key (generated unless given) and a health
    /// check on <c>/readyz</c>, which Qdrant answers without the key.
    /// </summary>
    public static IResourceBuilder<QdrantResource> AddQdrant(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ParameterResource>? apiKey = null)
    {
        var key = apiKey?.Resource ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-key", special: false);
        return builder.AddResource(new QdrantResource(name, key))
            .WithImage(Image, Tag)
            .WithImageRegistry(Registry)
            .WithHttpEndpoint(targetPort: QdrantResource.GrpcTargetPort, name: QdrantResource.GrpcEndpointName)
            .WithEndpoint(QdrantResource.GrpcEndpointName, e => e.Transport = "http2")
            .WithHttpEndpoint(targetPort: QdrantResource.HttpTargetPort, name: QdrantResource.HttpEndpointName)
            .WithEnvironment("QDRANT__SERVICE__API_KEY", key)
            .WithEnvironment("QDRANT__SERVICE__ENABLE_STATIC_CONTENT", "0")
            .WithHttpHealthCheck("/readyz", endpointName: QdrantResource.HttpEndpointName);
    }

    /// <summary>Keeps Qdrant's storage in a named volume so memory survives restarts.</summary>
    public static IResourceBuilder<QdrantResource> WithDataVolume(this IResourceBuilder<QdrantResource> builder, string? name = null) =>
        builder.WithVolume(name ?? $"{builder.ApplicationBuilder.Environment.ApplicationName.ToLowerInvariant()}-{builder.Resource.Name}-data", "/qdrant/storage");
}
