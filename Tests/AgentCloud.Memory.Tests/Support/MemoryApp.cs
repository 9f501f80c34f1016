using AgentCloud.Memory.Domain;
using AgentCloud.Memory.Embeddings;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.Memory.Tests.Support;

/// <summary>The Memory service in-process on a real backend, with test tenant contexts, fixed policies and a hashing embedder.</summary>
public sealed class MemoryApp(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public HashingEmbedder Embedder { get; } = new();

    public static MemoryApp OnPgvector(string connectionString, string? redis = null) => new(new Dictionary<string, string?>
    {
        ["Memory:Backend"] = "Pgvector",
        ["Memory:Reason"] = "tests",
        ["ConnectionStrings:memory-db"] = connectionString,
        ["ConnectionStrings:redis"] = redis,
    });

    public static MemoryApp OnQdrant(string connectionString) => new(new Dictionary<string, string?>
    {
        ["Memory:Backend"] = "Qdrant",
        ["ConnectionStrings:qdrant"] = connectionString,
    });

    public HttpClient ClientFor(TenantContext tenant) => CreateClient().As(tenant);

    public MemoryService Service => Services.GetRequiredService<MemoryService>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TenantContext:StaticJwks", TestTenantContexts.Jwks);
        foreach (var (key, value) in settings)
        {
            if (value is not null)
            {
                builder.UseSetting(key, value);
            }
        }
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ITenantPolicySource, FixedTenantPolicies>();
            services.AddSingleton<ITextEmbedder>(Embedder);
        });
    }
}
