using AgentCloud.ControlPlane.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>
/// Applies the checked-in migrations as the database owner before the service takes calls (as eShop's
/// MigrateDbContextExtensions does), then lets the service role log in with its derived password.
/// </summary>
internal sealed class DatabaseMigrator(NpgsqlDataSource owner, IConfiguration configuration, IOptions<ControlPlaneOptions> options, ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var dbOptions = new DbContextOptionsBuilder<ControlPlaneDbContext>().UseNpgsql(owner).Options;
        await using (var db = new ControlPlaneDbContext(dbOptions))
        {
            await db.Database.CreateExecutionStrategy().ExecuteAsync(() => db.Database.MigrateAsync(cancellationToken));
        }
        var ownerConnectionString = configuration.GetConnectionString(Extensions.Extensions.DatabaseName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{Extensions.Extensions.DatabaseName} is missing.");
        await ServiceRole.EnableLoginAsync(ownerConnectionString, ServiceRole.PasswordFor(options.Value.VaultMasterKey), cancellationToken);
        logger.LogInformation("ControlPlane database migrated; the request path runs as {Role}", ServiceRole.Name);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
