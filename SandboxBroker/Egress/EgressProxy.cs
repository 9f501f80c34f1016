using AgentCloud.Platform.Egress;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentCloud.SandboxBroker.Native;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Egress;

/// <summary>
/// The broker's HTTP/HTTPS (CONNECT) forward proxy. Each sandbox with egress gets its own unix socket (bound into
/// the sandbox), so the proxy always knows whose request it is: it connects only to hosts on that tenant's
/// allowlist, never to loopback, private or link-local addresses, and logs, counts and audits every refusal.
/// </summary>
public sealed class EgressProxy(IOptions<SandboxBrokerOptions> options, EgressAudit audit, ILogger<EgressProxy> logger, IMeterFactory meters)
{
    private const int MaxHeaderBytes = 16 * 1024;
    private readonly Counter<long> _denied = meters.Create("AgentCloud.SandboxBroker").CreateCounter<long>("agentcloud.sandbox.egress.denied");

    /// <summary>Listens on <paramref name="socketPath"/> (owned by the sandbox's uid, 0600) until the returned handle is disposed.</summary>
    public IAsyncDisposable Listen(string socketPath, int ownerUid, DomainAllowlist allowlist, string tenantId, string sandboxId, string? runId = null)
    {
        File.Delete(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Libc.LChown(socketPath, ownerUid, ownerUid);
        listener.Listen(64);
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() => AcceptLoopAsync(listener, allowlist, new Owner(tenantId, sandboxId, runId), stop.Token));
        return new Listening(listener, stop, loop, socketPath);
    }

    /// <summary>Serves one connection already known to come from that sandbox (a cluster's pod, told apart by its address).</summary>
    public Task ServeAsync(Socket client, DomainAllowlist allowlist, string tenantId, string sandboxId, string? runId, CancellationToken stop) =>
        HandleAsync(client, allowlist, new Owner(tenantId, sandboxId, runId), stop);

    private async Task AcceptLoopAsync(Socket listener, DomainAllowlist allowlist, Owner owner, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(client, allowlist, owner, stop), CancellationToken.None);
        }
    }

    private async Task HandleAsync(Socket clientSocket, DomainAllowlist allowlist, Owner owner, CancellationToken stop)
    {
        using var client = new NetworkStream(clientSocket, ownsSocket: true);
        try
        {
            var (head, rest) = await ReadHeadAsync(client, stop);
            if (head is null)
            {
                await RespondAsync(client, 400, "Malformed proxy request");
                return;
            }
            var target = ProxyRequest.Parse(head);
            if (target is null)
            {
                await RespondAsync(client, 400, "Only CONNECT host:port and absolute http:// requests are proxied");
                return;
            }
            if (!allowlist.Allows(target.Host))
            {
                await DenyAsync(owner, target.Host, target.Port, "not on the tenant's egress allowlist");
                await RespondAsync(client, 403, $"Egress to {target.Host} is not allowed for this tenant");
                return;
            }
            if (IsPlatformGateway(target.Host) && target.Port != PlatformGatewayPort)
            {
                await DenyAsync(owner, target.Host, target.Port, "only the Gateway's own port is reachable on the platform host");
                await RespondAsync(client, 403, $"Only port {PlatformGatewayPort} of {target.Host} is reachable");
                return;
            }
            IPAddress? address;
            try
            {
                address = await ResolveAsync(target.Host, stop);
            }
            catch (SocketException e)
            {
                // No such name, or no answer within GuardedSockets.ResolveTimeout: said to the client, not a policy refusal.
                logger.LogInformation("Egress for sandbox {SandboxId}: {Host} did not resolve ({Error})", owner.SandboxId, target.Host, e.SocketErrorCode);
                await RespondAsync(client, 502, $"{target.Host} did not resolve");
                return;
            }
            if (address is null)
            {
                await DenyAsync(owner, target.Host, target.Port, "resolves to no public address");
                await RespondAsync(client, 403, $"{target.Host} does not resolve to a public address");
                return;
            }
            using var upstreamSocket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                connectTimeout.CancelAfter(TimeSpan.FromSeconds(10));
                await upstreamSocket.ConnectAsync(new IPEndPoint(address, target.Port), connectTimeout.Token);
            }
            using var upstream = new NetworkStream(upstreamSocket, ownsSocket: false);
            logger.LogInformation("Egress allowed: tenant {TenantId} sandbox {SandboxId} to {Host}:{Port}", owner.TenantId, owner.SandboxId, target.Host, target.Port);
            if (target.IsConnect)
            {
                await client.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), stop);
            }
            else
            {
                await upstream.WriteAsync(Encoding.ASCII.GetBytes(target.OriginFormHead), stop);
            }
            if (rest.Length > 0)
            {
                await upstream.WriteAsync(rest, stop);
            }
            await Task.WhenAny(PipeAsync(client, upstream, stop), PipeAsync(upstream, client, stop));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            logger.LogDebug(e, "Egress connection for sandbox {SandboxId} ended", owner.SandboxId);
        }
    }

    private bool IsPlatformGateway(string host) =>
        options.Value.PlatformGatewayUrl is not null && string.Equals(host.TrimEnd('.'), SandboxBrokerOptions.PlatformGatewayHost, StringComparison.OrdinalIgnoreCase);

    private int PlatformGatewayPort => Uri.TryCreate(options.Value.PlatformGatewayUrl, UriKind.Absolute, out var u) ? u.Port : -1;

    /// <summary>Whose socket a connection came in on: the proxy's only source of identity, fixed at listen time.</summary>
    private sealed record Owner(string TenantId, string SandboxId, string? RunId);

    private async Task DenyAsync(Owner owner, string host, int port, string why)
    {
        _denied.Add(1, new KeyValuePair<string, object?>("tenant", owner.TenantId));
        logger.LogWarning("Egress denied: tenant {TenantId} sandbox {SandboxId} to {Host}:{Port}: {Reason}", owner.TenantId, owner.SandboxId, host, port, why);
        await audit.DeniedAsync(owner.TenantId, owner.SandboxId, owner.RunId, host, port, why);
    }

    private async Task<IPAddress?> ResolveAsync(string host, CancellationToken stop)
    {
        if (options.Value.EgressHostOverrides.TryGetValue(host.TrimEnd('.'), out var fixedAddress))
        {
            return IPAddress.Parse(fixedAddress);
        }
        // The platform's own Gateway is the one internal address a sandbox may reach (it authenticates every call).
        if (IsPlatformGateway(host) && Uri.TryCreate(options.Value.PlatformGatewayUrl, UriKind.Absolute, out var gateway))
        {
            return (await GuardedSockets.ResolveAsync(gateway.Host, stop)).FirstOrDefault();
        }
        return (await GuardedSockets.ResolveAsync(host, stop)).FirstOrDefault(IsPublic);
    }

    /// <summary>Refuses the host's own and internal networks, so an allowed name cannot be pointed at them.</summary>
    public static bool IsPublic(IPAddress address) => PublicAddresses.IsPublic(address);

    private static async Task<(string? Head, byte[] Body)> ReadHeadAsync(Stream stream, CancellationToken stop)
    {
        var buffer = new byte[MaxHeaderBytes];
        var length = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (length < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(length), timeout.Token);
            if (n == 0)
            {
                return (null, []);
            }
            length += n;
            var end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.ASCII.GetString(buffer, 0, end + 4), buffer[(end + 4)..length]);
            }
        }
        return (null, []);
    }

    private static async Task RespondAsync(Stream client, int status, string message)
    {
        var reason = status switch { 403 => "Forbidden", 502 => "Bad Gateway", _ => "Bad Request" };
        var body = message + "\n";
        var text = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await client.WriteAsync(Encoding.UTF8.GetBytes(text));
    }

    private static async Task PipeAsync(Stream from, Stream to, CancellationToken stop)
    {
        try
        {
            await from.CopyToAsync(to, stop);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
    }

    private sealed class Listening(Socket listener, CancellationTokenSource stop, Task loop, string path) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Dispose();
            await loop;
            stop.Dispose();
            File.Delete(path);
        }
    }
}
