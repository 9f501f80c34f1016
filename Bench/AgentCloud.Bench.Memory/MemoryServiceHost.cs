using AgentCloud.Memory.Embeddings;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Bench.Memory;

/// <summary>The Memory service on Kestrel (127.0.0.1), on pgvector, with a fixed shared-collection policy and vectors given directly.</summary>
internal sealed class MemoryServiceHost(string connectionString, int port) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TenantContext:StaticJwks", TestTenantContexts.Jwks);
        builder.UseSetting("Memory:Backend", "Pgvector");
        builder.UseSetting("ConnectionStrings:memory-db", connectionString);
        builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ITenantPolicySource, SharedPolicy>();
            services.AddSingleton<ITextEmbedder, NoEmbedder>();
        });
    }

    public void Start()
    {
        // A console project gets no test content-root manifest; the service needs no content files anyway.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_MEMORY", AppContext.BaseDirectory);
        UseKestrel(port);
        StartServer();
    }

    private sealed class SharedPolicy : ITenantPolicySource
    {
        public Task<TenantPolicy?> GetAsync(TenantContext caller, CancellationToken cancellationToken) =>
            Task.FromResult<TenantPolicy?>(new TenantPolicy { TenantId = caller.TenantId, Tier = caller.Tier, MemoryIsolation = MemoryIsolation.SharedCollection });
    }

    private sealed class NoEmbedder : ITextEmbedder
    {
        public Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The benchmark sends vectors.");
    }
}
