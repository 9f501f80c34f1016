using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AgentCloud.SandboxBroker.Egress;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// The allowlist proxy for sandbox pods: one TCP port (the only place their NetworkPolicy lets them reach), where a
/// connection is known by its source address, the pod IP of a claimed sandbox. A connection from any other address is
/// closed unanswered; a registration ends when its sandbox is deleted, before the IP can go to another pod.
/// </summary>
public sealed class ClusterEgress(EgressProxy proxy, ILogger<ClusterEgress> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<IPAddress, Registration> _pods = new();
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task? _loop;

    private sealed record Registration(DomainAllowlist Allowlist, string TenantId, string SandboxId, string? RunId);

    public IPEndPoint? Endpoint => _listener?.LocalEndPoint as IPEndPoint;

    public void Start(IPEndPoint endpoint)
    {
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(endpoint);
        _listener.Listen(256);
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Lets the pod's addresses use the proxy as that sandbox, until the returned handle is disposed.</summary>
    public IDisposable Register(IReadOnlyList<string> podIps, DomainAllowlist allowlist, string tenantId, string sandboxId, string? runId)
    {
        var addresses = podIps.Select(IPAddress.Parse).ToList();
        var registration = new Registration(allowlist, tenantId, sandboxId, runId);
        foreach (var address in addresses)
        {
            if (!_pods.TryAdd(address, registration))
            {
                throw new InvalidOperationException($"Pod address {address} is already registered to another sandbox.");
            }
        }
        return new Unregister(() =>
        {
            foreach (var address in addresses)
            {
                _pods.TryRemove(new KeyValuePair<IPAddress, Registration>(address, registration));
            }
        });
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var from = (client.RemoteEndPoint as IPEndPoint)?.Address;
            if (from is null || !_pods.TryGetValue(from.IsIPv4MappedToIPv6 ? from.MapToIPv4() : from, out var owner))
            {
                logger.LogWarning("Egress proxy connection from {Address}, which is no claimed sandbox's pod: closed", from);
                client.Dispose();
                continue;
            }
            _ = Task.Run(() => proxy.ServeAsync(client, owner.Allowlist, owner.TenantId, owner.SandboxId, owner.RunId, _stop.Token), CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Dispose();
        if (_loop is not null)
        {
            await _loop;
        }
        _stop.Dispose();
    }

    private sealed class Unregister(Action action) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                action();
            }
        }
    }
}
