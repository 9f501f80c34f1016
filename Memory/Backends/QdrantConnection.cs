using System.Data.Common;

namespace AgentCloud.Memory.Backends;

/// <summary>The Qdrant connection string in Aspire's shape: <c>Endpoint=http://host:port;Key=apikey</c> (gRPC endpoint).</summary>
public sealed record QdrantConnection(Uri GrpcEndpoint, Uri? HttpEndpoint, string? ApiKey)
{
    public static QdrantConnection Parse(string connectionString)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!parts.TryGetValue("Endpoint", out var endpoint) || !Uri.TryCreate(endpoint?.ToString(), UriKind.Absolute, out var grpc))
        {
            throw new FormatException("The Qdrant connection string needs Endpoint=<grpc url>.");
        }
        Uri? http = parts.TryGetValue("HttpEndpoint", out var h) && Uri.TryCreate(h?.ToString(), UriKind.Absolute, out var u) ? u : null;
        return new QdrantConnection(grpc, http, parts.TryGetValue("Key", out var key) ? key?.ToString() : null);
    }
}
