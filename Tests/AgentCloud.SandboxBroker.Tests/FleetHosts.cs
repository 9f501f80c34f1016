using System.Net;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Fleet;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Broker replicas for the fleet tests: real Kestrel on loopback (siblings forward over real sockets), one Redis, one sandbox root.</summary>
public static class FleetHosts
{
    /// <summary>A replica; <paramref name="extra"/> adds settings (the kubernetes level's, say).</summary>
    public static BrokerFactory Start(string redis, string root, IRunCredentials credentials, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SandboxBroker:IssueRunKeys"] = "true",
            ["SandboxBroker:Fleet:HeartbeatInterval"] = "00:00:00.250",
            ["SandboxBroker:Fleet:HeartbeatTimeout"] = "00:00:03",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var broker = new BrokerFactory(redis, settings, root)
        {
            TestServices = services =>
            {
                services.RemoveAll<IRunCredentials>();
                services.AddSingleton(credentials);
            },
        };
        broker.UseKestrel(k => k.Listen(IPAddress.Loopback, 0)); // not UseKestrel(0): its address rewrite races a minimal app's own start
        broker.StartServer();
        return broker;
    }

    public static Uri Address(this BrokerFactory broker) =>
        new(broker.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static HttpClient Over(this BrokerFactory broker, string tenant) =>
        new HttpClient { BaseAddress = broker.Address(), Timeout = TimeSpan.FromSeconds(60) }.As(TestTenantContexts.Tenant(tenant));

    /// <summary>
    /// The broker as a dead host looks to its siblings: no heartbeat, no answer (its listener torn down, open
    /// connections aborted), nothing ended or billed on its way out; its sandboxes are still on the machine.
    /// </summary>
    public static async Task SilenceAsync(this BrokerFactory broker)
    {
        await broker.Services.GetServices<IHostedService>().OfType<FleetHeartbeat>().Single().StopAsync(CancellationToken.None);
        await broker.Services.GetServices<IHostedService>().OfType<FleetReaper>().Single().StopAsync(CancellationToken.None);
        await broker.Services.GetRequiredService<IServer>().StopAsync(new CancellationToken(canceled: true));
    }

    /// <summary>Removes the folders an instance other than the first made beside the configured root.</summary>
    public static void RemoveInstanceFolders(string root)
    {
        foreach (var dir in Directory.GetDirectories(Path.GetDirectoryName(root)!, Path.GetFileName(root) + "*").Where(d => d != root))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
