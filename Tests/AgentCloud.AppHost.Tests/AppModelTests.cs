using AgentCloud.AppHost.Infrastructure;

namespace AgentCloud.AppHost.Tests;

/// <summary>The app model in each infrastructure mode, built but not started.</summary>
public sealed class AppModelTests
{
    private static readonly string[] Services = ["gateway", "controlplane", "inference-router", "sandbox-broker", "usage-aggregator", "memory", "model-simulator", "model-simulator-2", "model-simulator-dedicated", "tools", "sample-tools"];

    private static async Task<IDistributedApplicationTestingBuilder> BuildModelAsync(AppHostArgs args, params string[] extra) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentCloud_AppHost>(args.ToArgs(extra));

    [Fact]
    public async Task Local_mode_declares_every_service_and_runs_stores_as_executables_with_health_checks()
    {
        await using var builder = await BuildModelAsync(AppHostArgs.Local());
        var resources = builder.Resources;

        foreach (var name in Services)
        {
            var project = Assert.IsType<ProjectResource>(resources.Single(r => r.Name == name));
            Assert.Contains(project.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        }
        Assert.DoesNotContain(resources, r => r is ContainerResource);
        var redis = Assert.IsType<ExecutableResource>(resources.Single(r => r.Name == "redis-server"));
        var postgres = Assert.IsType<ExecutableResource>(resources.Single(r => r.Name == StoreNames.Postgres));
        Assert.Single(redis.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Single(postgres.Annotations.OfType<HealthCheckAnnotation>());
        Assert.All(new[] { redis, postgres }, r => Assert.All(r.Annotations.OfType<EndpointAnnotation>(), e => Assert.False(e.IsProxied)));
    }

    [Fact]
    public async Task Local_mode_without_qdrant_wires_memory_to_pgvector_and_says_why()
    {
        await using var builder = await BuildModelAsync(AppHostArgs.Local(), "--AgentCloud:QdrantPath=");
        var memory = builder.Resources.Single(r => r.Name == "memory");

        var env = await ModelEnvironment.Of(memory);
        Assert.Equal("Pgvector", env["Memory__Backend"]);
        Assert.Equal("Qdrant not available", env["Memory__Reason"]);
        Assert.True(env.ContainsKey("ConnectionStrings__memory-db"));
        Assert.False(env.ContainsKey("ConnectionStrings__qdrant"));
        Assert.Contains(builder.Resources, r => r.Name == StoreNames.MemoryDb);
    }

    [Fact]
    public async Task Local_mode_with_a_qdrant_binary_runs_it_and_wires_memory_to_it()
    {
        await using var builder = await BuildModelAsync(AppHostArgs.Local(), "--AgentCloud:QdrantPath=/usr/bin/true");
        var memory = builder.Resources.Single(r => r.Name == "memory");
        var qdrant = Assert.IsType<ExecutableResource>(builder.Resources.Single(r => r.Name == "qdrant-server"));

        var env = await ModelEnvironment.Of(memory);
        Assert.Equal("Qdrant", env["Memory__Backend"]);
        Assert.Equal("{qdrant.connectionString}", env["ConnectionStrings__qdrant"]);
        var connection = Assert.IsAssignableFrom<IResourceWithConnectionString>(builder.Resources.Single(r => r.Name == "qdrant"));
        Assert.Matches(@"^Endpoint=http://127\.0\.0\.1:\d+;Key=\{qdrant-key\.value\}$", connection.ConnectionStringExpression.ValueExpression);
        Assert.Equal(["grpc", "http"], qdrant.Annotations.OfType<EndpointAnnotation>().Select(e => e.Name).Order());
        Assert.Single(qdrant.Annotations.OfType<HealthCheckAnnotation>());
        Assert.DoesNotContain(builder.Resources, r => r.Name == StoreNames.MemoryDb);
    }

    [Fact]
    public async Task Containers_mode_runs_redis_postgres_and_qdrant_as_containers()
    {
        await using var builder = await BuildModelAsync(AppHostArgs.Containers());
        var containers = builder.Resources.OfType<ContainerResource>().Select(r => r.Name).Order().ToArray();

        Assert.Equal(["postgres", "qdrant", "redis"], containers);
        Assert.DoesNotContain(builder.Resources, r => r.Name is "redis-server" or "qdrant-server");
        Assert.Contains(builder.Resources, r => r.Name == StoreNames.ControlPlaneDb);
        Assert.Contains(builder.Resources, r => r.Name == StoreNames.UsageDb);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("containers")]
    public async Task Services_reference_and_wait_for_the_stores_they_use(string mode)
    {
        await using var builder = await BuildModelAsync(AppHostArgs.Local() with { Mode = mode });
        var expectations = new Dictionary<string, string[]>
        {
            ["controlplane"] = ["ConnectionStrings__controlplane-db", "ConnectionStrings__redis", "services__gateway__http__0"],
            ["usage-aggregator"] = ["ConnectionStrings__usage-db", "ConnectionStrings__redis", "services__gateway__http__0"],
            ["inference-router"] = ["ConnectionStrings__redis", "services__model-simulator__http__0", "services__gateway__http__0"],
            ["sandbox-broker"] = ["ConnectionStrings__redis", "services__gateway__http__0"],
            ["memory"] = ["services__inference-router__http__0", "services__controlplane__http__0", "ConnectionStrings__redis", "services__gateway__http__0"],
            ["gateway"] = ["ConnectionStrings__redis", "services__controlplane__http__0", "services__inference-router__http__0",
                "services__sandbox-broker__http__0", "services__usage-aggregator__http__0", "services__memory__http__0", "services__tools__http__0"],
            ["tools"] = ["ConnectionStrings__redis", "services__controlplane__http__0", "services__memory__http__0", "services__sandbox-broker__http__0",
                "services__gateway__http__0"],
        };

        foreach (var (service, variables) in expectations)
        {
            var resource = builder.Resources.Single(r => r.Name == service);
            var env = await ModelEnvironment.Of(resource);
            Assert.All(variables, v => Assert.True(env.ContainsKey(v), $"{service} lacks {v}"));
        }
        var waits = builder.Resources.Single(r => r.Name == "controlplane").Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).ToArray();
        Assert.Contains(mode == "local" ? StoreNames.Postgres : StoreNames.ControlPlaneDb, waits);
    }

    [Fact]
    public async Task Tools_and_the_controlplane_share_the_injection_key_as_a_secret_and_local_runs_admit_the_loopback_sample_server()
    {
        await using var builder = await BuildModelAsync(AppHostArgs.Local());
        var tools = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "tools"));
        var controlPlane = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "controlplane"));

        Assert.Equal("{tool-injection-key.value}", tools["Tools__InjectionKey"]);
        Assert.Equal("{tool-injection-key.value}", controlPlane["ControlPlane__ToolInjectionKey"]);
        Assert.True(Assert.IsType<ParameterResource>(builder.Resources.Single(r => r.Name == "tool-injection-key")).Secret);
        Assert.Equal("true", tools["Tools__AllowPrivateAddresses"]);
        Assert.False(tools.ContainsKey("services__sample-tools__http__0"));
    }

    [Fact]
    public async Task The_router_catalogue_lists_a_shared_pool_and_a_dedicated_enterprise_endpoint_with_secrets_as_parameters()
    {
        await using var builder = await BuildModelAsync(AppHostArgs.Local());
        var router = builder.Resources.Single(r => r.Name == "inference-router");

        var env = await ModelEnvironment.Of(router);

        Assert.Equal(("model-simulator", "http://model-simulator/v1", "shared"),
            (env["InferenceRouter__Endpoints__0__Name"], env["InferenceRouter__Endpoints__0__BaseUrl"], env["InferenceRouter__Endpoints__0__Placement"]));
        Assert.Equal(("model-simulator-2", "shared"), (env["InferenceRouter__Endpoints__1__Name"], env["InferenceRouter__Endpoints__1__Placement"]));
        Assert.Equal(("model-simulator-dedicated", "dedicated", "enterprise"),
            (env["InferenceRouter__Endpoints__2__Name"], env["InferenceRouter__Endpoints__2__Placement"], env["InferenceRouter__Endpoints__2__Tier"]));
        Assert.Equal("sim-small", env["InferenceRouter__Endpoints__2__Models__0"]);
        Assert.True(env.ContainsKey("services__model-simulator-dedicated__http__0"));
        Assert.Equal("{model-api-key.value}", env["InferenceRouter__UpstreamApiKey"]);
        Assert.Equal("{inference-cache-salt-key.value}", env["InferenceRouter__CacheSaltSecret"]);
        var waits = router.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).ToArray();
        Assert.Contains("model-simulator-dedicated", waits);
    }

    [Fact]
    public async Task Two_gateways_two_routers_and_two_brokers_run_behind_a_proxy_the_gateway_on_the_configured_fixed_port()
    {
        var args = AppHostArgs.Local();
        await using var builder = await BuildModelAsync(args);
        var gateway = builder.Resources.Single(r => r.Name == "gateway");

        Assert.Equal(2, gateway.GetReplicaCount());
        Assert.Equal(2, builder.Resources.Single(r => r.Name == "inference-router").GetReplicaCount());
        Assert.Equal(2, builder.Resources.Single(r => r.Name == "sandbox-broker").GetReplicaCount()); // a fleet: SandboxBroker/Fleet
        var endpoint = Assert.Single(gateway.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(args.GatewayPort, endpoint.Port);
        Assert.True(endpoint.IsProxied); // each copy on a port of its own behind it
        Assert.Null(endpoint.TargetPort);
        var env = await ModelEnvironment.Of(gateway);
        // Secrets are references to parameters, never literal values in the model.
        Assert.Equal("{admin-key.value}", env["Gateway__AdminKey"]);
        Assert.Equal("{gateway-signing-key.value}", env["Gateway__SigningKeySeed"]);
    }

    [Fact]
    public async Task A_single_gateway_listens_on_the_configured_fixed_port_itself_without_a_proxy()
    {
        var args = AppHostArgs.Local();
        await using var builder = await BuildModelAsync(args, "--AgentCloud:Replicas:gateway=1");
        var gateway = builder.Resources.Single(r => r.Name == "gateway");

        Assert.Equal(1, gateway.GetReplicaCount());
        Assert.Equal(2, builder.Resources.Single(r => r.Name == "inference-router").GetReplicaCount());
        var endpoint = Assert.Single(gateway.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(args.GatewayPort, endpoint.Port);
        Assert.False(endpoint.IsProxied);
    }

    [Theory]
    [InlineData("--AgentCloud:Replicas=0", "AgentCloud:Replicas is '0'")]
    [InlineData("--AgentCloud:Replicas:inference-router=two", "AgentCloud:Replicas:inference-router is 'two'")]
    public async Task A_replica_count_that_is_not_a_whole_number_of_one_or_more_is_refused_naming_the_setting(string setting, string message)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var builder = await BuildModelAsync(AppHostArgs.Local(), setting);
        });
        Assert.Contains(message, e.ToString());
    }

    [Fact]
    public async Task An_unknown_infrastructure_mode_is_refused_with_the_allowed_values()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var builder = await BuildModelAsync(AppHostArgs.Local() with { Mode = "kubernetes" });
        });
        Assert.Contains("'containers', 'local' or 'auto'", e.ToString());
    }
}
