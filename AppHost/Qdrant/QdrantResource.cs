namespace AgentCloud.AppHost.Qdrant;

/// <summary>
/// A Qdrant server run as a container (Aspire.Hosting.Qdrant is not served here, so this is our own, in its shape):
/// a gRPC endpoint (primary, what clients use), an HTTP endpoint (REST and health), and an API key.
/// </summary>
public sealed class QdrantResource(string name, ParameterResource apiKey) : ContainerResource(name), IResourceWithConnectionString
{
    public const string GrpcEndpointName = "grpc";
    public const string HttpEndpointName = "http";
    public const int GrpcTargetPort = 6334;
    public const int HttpTargetPort = 6333;

    private EndpointReference? _grpc;
    private EndpointReference? _http;

    public ParameterResource ApiKeyParameter { get; } = apiKey;

    public EndpointReference GrpcEndpoint => _grpc ??= new(this, GrpcEndpointName);

    public EndpointReference HttpEndpoint => _http ??= new(this, HttpEndpointName);

    /// <summary><c>Endpoint=http://host:grpcport;Key=apikey</c>, as Aspire's Qdrant client integration reads it.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={GrpcEndpoint.Property(EndpointProperty.Url)};Key={ApiKeyParameter}");
}
