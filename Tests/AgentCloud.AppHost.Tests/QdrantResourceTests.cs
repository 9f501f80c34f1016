using AgentCloud.AppHost.Qdrant;
namespace AgentCloud.AppHost.Tests;

/// <summary>Our Qdrant hosting integration, in the manner of dotnet/aspire's AddQdrantTests: the model only.</summary>
public sealed class QdrantResourceTests
{
    [Fact]
    public void Qdrant_has_grpc_and_http_endpoints_on_the_standard_ports()
    {
        var builder = DistributedApplication.CreateBuilder();
        var qdrant = builder.AddQdrant("qdrant");

        var endpoints = qdrant.Resource.Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name);
        Assert.Equal(QdrantResource.GrpcTargetPort, endpoints["grpc"].TargetPort);
        Assert.Equal("http2", endpoints["grpc"].Transport);
        Assert.Equal(QdrantResource.HttpTargetPort, endpoints["http"].TargetPort);
    }

    [Fact]
    public void Qdrant_connection_string_names_the_grpc_endpoint_and_the_api_key()
    {
        var builder = DistributedApplication.CreateBuilder();
        var key = builder.AddParameter("my-key", "secret-value", secret: true);
        var qdrant = builder.AddQdrant("qdrant", key);

        Assert.Equal("Endpoint={qdrant.bindings.grpc.url};Key={my-key.value}", qdrant.Resource.ConnectionStringExpression.ValueExpression);
        Assert.Same(key.Resource, qdrant.Resource.ApiKeyParameter);
    }

    [Fact]
    public void Qdrant_runs_the_pinned_image_with_its_api_key_and_a_readiness_health_check()
    {
        var builder = DistributedApplication.CreateBuilder();
        var qdrant = builder.AddQdrant("qdrant");

        var image = Assert.Single(qdrant.Resource.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal(QdrantBuilderExtensions.Image, image.Image);
        Assert.Equal(QdrantBuilderExtensions.Tag, image.Tag);
        Assert.Equal("docker.io", image.Registry);
        Assert.Single(qdrant.Resource.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Equal("qdrant-key", qdrant.Resource.ApiKeyParameter.Name);
        Assert.True(qdrant.Resource.ApiKeyParameter.Secret);
    }

    [Fact]
    public async Task Qdrant_gets_the_api_key_in_its_environment()
    {
        var builder = DistributedApplication.CreateBuilder();
        var key = builder.AddParameter("my-key", "secret-value", secret: true);
        var qdrant = builder.AddQdrant("qdrant", key);

        var env = await ModelEnvironment.Of(qdrant.Resource);
        Assert.Equal("{my-key.value}", env["QDRANT__SERVICE__API_KEY"]);
    }
}
