using Microsoft.Extensions.DependencyInjection;
using System.Globalization;

namespace AgentCloud.AppHost.Infrastructure;

/// <summary>
/// The stores as local executables on loopback (no Docker): redis-server and postgres from Debian's packages,
/// and Qdrant when a binary is present; otherwise Memory gets Postgres with pgvector. Data lives under the state
/// folder and survives restarts. Each server gets a port picked here and is not proxied, so its connection string
/// can be written in the AppHost; passwords are fresh each run and applied before the servers start.
/// </summary>
internal static class LocalInfrastructure
{
    private const string RedisServerName = "redis-server";
    private const string QdrantKeyName = "qdrant-key";

    public static PlatformStores Add(IDistributedApplicationBuilder builder)
    {
        var programs = LocalPrograms.Find(builder.Configuration);
        var state = StateDirectory.Resolve(builder.Configuration);
        var redisPassword = GeneratedSecret(builder, "redis-password");
        var postgresPassword = GeneratedSecret(builder, "postgres-password");

        var redis = AddRedis(builder, state, redisPassword);
        var (postgres, databases) = AddPostgres(builder, state, programs, postgresPassword, withMemoryDb: programs.Qdrant is null);

        var vector = programs.Qdrant is null
            ? new VectorStore(new Store(databases[StoreNames.MemoryDb], postgres), VectorBackend.Pgvector, "Qdrant not available")
            : AddQdrant(builder, state, programs.Qdrant);

        return new PlatformStores(
            InfrastructureMode.Local,
            redis,
            new Store(databases[StoreNames.ControlPlaneDb], postgres),
            new Store(databases[StoreNames.UsageDb], postgres),
            vector);
    }

    private static IResourceBuilder<ParameterResource> GeneratedSecret(IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);

    private static Store AddRedis(IDistributedApplicationBuilder builder, string state, IResourceBuilder<ParameterResource> password)
    {
        var port = FreePort.Pick();
        var dir = Path.Combine(state, "redis");
        var conf = Path.Combine(dir, "redis.conf");
        Directory.CreateDirectory(dir);

        var server = builder.AddExecutable(RedisServerName, "redis-server", dir, conf)
            .WithEndpoint(port: port, name: "tcp", scheme: "tcp", isProxied: false)
            .WithHealthCheck(RedisServerName);
        var connection = builder.AddConnectionString(StoreNames.Redis,
            ReferenceExpression.Create($"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)},password={password.Resource}"));

        string? healthConnection = null;
        builder.Services.AddHealthChecks().AddRedis(_ => healthConnection ?? "127.0.0.1:1,abortConnect=false", name: RedisServerName,
            timeout: TimeSpan.FromSeconds(3));
        builder.Eventing.Subscribe<BeforeStartEvent>(async (_, ct) =>
        {
            var secret = await password.Resource.GetValueAsync(ct);
            // The password goes in a 0600 config file rather than the command line, where `ps` would show it.
            await File.WriteAllTextAsync(conf, string.Join('\n',
                $"port {port}", "bind 127.0.0.1", "protected-mode yes", $"requirepass {secret}", $"dir {dir}",
                "appendonly yes", "appendfsync everysec", "save \"\"", "") , ct);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            healthConnection = $"127.0.0.1:{port},password={secret},abortConnect=false,connectTimeout=2000";
        });
        return new Store(connection, server);
    }

    private static (IResourceBuilder<IResource> Server, Dictionary<string, IResourceBuilder<IResourceWithConnectionString>> Databases) AddPostgres(
        IDistributedApplicationBuilder builder, string state, LocalPrograms programs, IResourceBuilder<ParameterResource> password, bool withMemoryDb)
    {
        var port = FreePort.Pick();
        var local = new LocalPostgres(programs.PostgresBin, Path.Combine(state, "postgres-15"));
        var (command, args) = local.Command("postgres", "-D", local.DataDirectory, "-p", port.ToString(CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=");

        var server = builder.AddExecutable(StoreNames.Postgres, command, state, args)
            .WithEndpoint(port: port, name: "tcp", scheme: "tcp", isProxied: false)
            .WithHealthCheck(StoreNames.Postgres);

        var databases = StoreNames.Databases
            .Where(d => withMemoryDb || d.Key != StoreNames.MemoryDb)
            .ToDictionary(
                d => d.Key,
                d => (IResourceBuilder<IResourceWithConnectionString>)builder.AddConnectionString(d.Key,
                    ReferenceExpression.Create($"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Password={password.Resource};Database={d.Value}")));

        string? healthConnection = null;
        builder.Services.AddHealthChecks().AddNpgSql(_ => healthConnection ?? "Host=127.0.0.1;Port=1", name: StoreNames.Postgres,
            timeout: TimeSpan.FromSeconds(3));
        builder.Eventing.Subscribe<BeforeStartEvent>(async (_, ct) =>
        {
            var secret = await password.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException("No Postgres password.");
            var extensions = withMemoryDb
                ? new Dictionary<string, string[]> { [StoreNames.Databases[StoreNames.MemoryDb]] = ["vector"] }
                : [];
            await local.PrepareAsync(secret, databases.Keys.Select(k => StoreNames.Databases[k]), extensions, ct);
            healthConnection = $"Host=127.0.0.1;Port={port};Username=postgres;Password={secret};Database=postgres;Timeout=3";
        });
        return (server, databases);
    }

    private static VectorStore AddQdrant(IDistributedApplicationBuilder builder, string state, string qdrantPath)
    {
        var grpcPort = FreePort.Pick();
        var httpPort = FreePort.Pick();
        var key = GeneratedSecret(builder, QdrantKeyName);
        var dir = Path.Combine(state, "qdrant");
        Directory.CreateDirectory(dir);

        var server = builder.AddExecutable(StoreNames.Qdrant + "-server", qdrantPath, dir)
            .WithEndpoint(port: grpcPort, name: "grpc", scheme: "http", isProxied: false)
            .WithEndpoint(port: httpPort, name: "http", scheme: "http", isProxied: false)
            .WithEnvironment("QDRANT__SERVICE__HOST", "127.0.0.1")
            .WithEnvironment("QDRANT__SERVICE__GRPC_PORT", grpcPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("QDRANT__SERVICE__HTTP_PORT", httpPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("QDRANT__SERVICE__API_KEY", key)
            .WithEnvironment("QDRANT__SERVICE__ENABLE_STATIC_CONTENT", "0")
            .WithEnvironment("QDRANT__STORAGE__STORAGE_PATH", Path.Combine(dir, "storage"))
            .WithEnvironment("QDRANT__STORAGE__SNAPSHOTS_PATH", Path.Combine(dir, "snapshots"))
            .WithHttpHealthCheck("/readyz", endpointName: "http");
        var connection = builder.AddConnectionString(StoreNames.Qdrant,
            ReferenceExpression.Create($"Endpoint=http://127.0.0.1:{grpcPort.ToString(CultureInfo.InvariantCulture)};Key={key.Resource}"));
        return new VectorStore(new Store(connection, server), VectorBackend.Qdrant, null);
    }
}
