using AgentCloud.AppHost;
using AgentCloud.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure first: secrets, then the stores (containers, or local executables without Docker).
var secrets = builder.AddPlatformSecrets();
var stores = builder.AddPlatformStores();

// Model endpoints from AgentCloud:Models; by default simulators: a shared pool, and a dedicated endpoint for the enterprise tier.
var models = builder.AddModelEndpoints(secrets);

var controlPlane = builder.AddAgentCloudService<Projects.AgentCloud_ControlPlane>("controlplane")
    .WithStore(stores.ControlPlaneDb)
    .WithStore(stores.Redis)
    .WithEnvironment("ControlPlane__VaultMasterKey", secrets.VaultMasterKey)
    .WithModelCatalogue(models);
if (builder.ExecutionContext.IsRunMode)
{
    // A local run may send budget alerts to a receiver on this machine (the demo, tests); a deployment never does.
    controlPlane.WithEnvironment("ControlPlane__Alerts__AllowLoopbackReceivers", "true");
}

var inferenceRouter = builder.AddAgentCloudService<Projects.AgentCloud_InferenceRouter>("inference-router")
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithModelEndpoints(models, secrets)
    .WithModelPrices(models, "InferenceRouter__Prices")
    .WithPlatformReplicas(builder.Configuration);
if (builder.ExecutionContext.IsRunMode)
{
    // Deployed, the router spools under its own container user's home (the service's default), not a path of the publishing machine.
    inferenceRouter.WithEnvironment("Outbox__SpoolDirectory", Path.Combine(StateDirectory.Resolve(builder.Configuration), "outbox", "inference-router"));
}

var sandboxBroker = builder.AddAgentCloudService<Projects.AgentCloud_SandboxBroker>("sandbox-broker")
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithSandboxBackend(builder)
    .WithPlatformReplicas(builder.Configuration); // any replica serves any sandbox: SandboxBroker/Fleet

var usageAggregator = builder.AddAgentCloudService<Projects.AgentCloud_UsageAggregator>("usage-aggregator")
    .WithStore(stores.UsageDb)
    .WithStore(stores.Redis)
    .WithModelPrices(models);

var memory = builder.AddAgentCloudService<Projects.AgentCloud_Memory>("memory")
    .WithVectorStore(stores.Vector)
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithReference(inferenceRouter)
    .WithEmbeddingModel(models);

// Tools: the MCP gateway, and a tenant-style tool server to register in local runs and tests.
var sampleTools = builder.AddSampleToolServer();
var tools = builder.AddToolsService(controlPlane)
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithReference(memory)
    .WithReference(sandboxBroker);

var gateway = builder.AddGateway(secrets)
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithReference(inferenceRouter)
    .WithReference(sandboxBroker)
    .WithReference(usageAggregator)
    .WithReference(memory)
    .WithReference(tools)
    // The door opens when the house is ready: a healthy Gateway means every service behind it is healthy too.
    .WaitFor(controlPlane)
    .WaitFor(inferenceRouter)
    .WaitFor(sandboxBroker)
    .WaitFor(usageAggregator)
    .WaitFor(memory)
    .WaitFor(tools)
    .WaitFor(sampleTools)
    .WithPlatformReplicas(builder.Configuration);

// Sandboxes reach the platform only through the Gateway, like any other client.
sandboxBroker.WithEnvironment("SandboxBroker__PlatformGatewayUrl", gateway.GetEndpoint("http"))
    .WithEnvironment("SandboxBroker__IssueRunKeys", "true");

foreach (var service in new[] { controlPlane, inferenceRouter, sandboxBroker, usageAggregator, memory, tools })
{
    service.TrustingGateway(gateway);
}

// The web console, served by the Gateway at /console and calling the API back through it with its users' keys.
builder.AddConsole(gateway);

// The demo workload: started from the dashboard when wanted (eng/run.sh runs it on its own), or again from the Gateway's command.
var demo = builder.AddDemoWorkload(gateway, sampleTools, secrets);
gateway.WithRunDemoCommand(demo);

builder.Build().Run();
