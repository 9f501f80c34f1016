using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Remembers resolutions briefly (found keys longer than unknown ones) so the ControlPlane is not asked on every
/// call. Entries are indexed by a hash of the key, never the key itself. <see cref="Forget"/> drops a revoked key at once.
/// Concurrent misses for the same key share one ControlPlane call, so a burst after expiry is one lookup, not hundreds.
/// A key that was good here is served on its expired entry while the ControlPlane is slow or away (bounded by
/// <see cref="GatewayOptions.KnownKeyStaleLimit"/>), so a Postgres outage neither slows nor refuses known callers.
/// </summary>
public sealed class CachedKeyResolver(ITenantKeyResolver inner, IOptions<GatewayOptions> options, TimeProvider time) : ITenantKeyResolver
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lookup> _inFlight = new(StringComparer.Ordinal);
    private long _generation;

    public async Task<ResolvedKey?> ResolveAsync(string apiKey, CancellationToken cancellationToken)
    {
        var id = Hash(apiKey);
        var now = time.GetUtcNow();
        _entries.TryGetValue(id, out var hit);
        if (hit is not null && hit.Expires > now)
        {
            return hit.Key;
        }

        var lookup = _inFlight.GetOrAdd(id, _ => new Lookup(new Lazy<Task<ResolvedKey?>>(() => LookUpAsync(id, apiKey)), now));
        return StaleFallback(hit, now) is { } known
            ? await RefreshOrServeStaleAsync(lookup, known, now, cancellationToken)
            : await lookup.Task.Value.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The expired entry of a key that was good here, while it may still stand in for a slow or absent ControlPlane: never
    /// past the stale limit, never past a run key's own expiry. Revoked keys have no entry (they are dropped at once).
    /// </summary>
    private ResolvedKey? StaleFallback(Entry? expired, DateTimeOffset now) =>
        expired?.Key is { } key && now - expired.Expires < options.Value.KnownKeyStaleLimit && (key.ExpiresAt is not { } ends || ends > now)
            ? key
            : null;

    private async Task<ResolvedKey?> RefreshOrServeStaleAsync(Lookup refresh, ResolvedKey known, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lookup = refresh.Task.Value;
        // Each call waits only what is left of the refresh's wait: once a refresh has overrun, callers are served at once.
        var left = options.Value.KnownKeyRefreshWait - (now - refresh.Started);
        try
        {
            return lookup.IsCompleted || left > TimeSpan.Zero
                ? await lookup.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, cancellationToken)
                : throw new TimeoutException();
        }
        catch (Exception e) when (e is TimeoutException or KeyResolutionUnavailableException)
        {
            // The refresh goes on (its answer, a revocation included, is stored); observe its failure so none goes unseen.
            _ = lookup.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return known;
        }
    }

    public bool TryGetCached(string apiKey, out ResolvedKey? key)
    {
        if (_entries.TryGetValue(Hash(apiKey), out var hit) && hit.Expires > time.GetUtcNow())
        {
            key = hit.Key;
            return true;
        }
        key = null;
        return false;
    }

    public bool IsResolving(string apiKey) => _inFlight.ContainsKey(Hash(apiKey));

    public bool WasKnownGood(string apiKey) => _entries.TryGetValue(Hash(apiKey), out var entry) && entry.Key is not null;

    /// <summary>
    /// Drops every cached resolution of the tenant's keys (its status, policy or entitlements changed), and every cached
    /// refusal, since a refusal does not say whose key it was (a reactivated tenant's keys must work at once).
    /// </summary>
    public void ForgetTenant(string tenantId)
    {
        Interlocked.Increment(ref _generation);
        _inFlight.Clear();
        foreach (var (id, entry) in _entries)
        {
            if (entry.Key is null || entry.Key.TenantId == tenantId)
            {
                _entries.TryRemove(id, out _);
            }
        }
    }

    private async Task<ResolvedKey?> LookUpAsync(string id, string apiKey)
    {
        // A revocation that lands while the ControlPlane is being asked must not be undone by caching the older answer.
        var generation = Interlocked.Read(ref _generation);
        try
        {
            // Shared by every waiter, so no single caller's cancellation may end it; the resolver has its own timeout.
            var resolved = await inner.ResolveAsync(apiKey, CancellationToken.None);
            if (Interlocked.Read(ref _generation) == generation)
            {
                var lifetime = resolved is null ? options.Value.UnknownKeyCacheDuration : options.Value.KeyCacheDuration;
                var expires = time.GetUtcNow() + lifetime;
                // A run key is never trusted past its own expiry, even if no revocation arrives.
                if (resolved?.ExpiresAt is { } keyExpires && keyExpires < expires)
                {
                    expires = keyExpires;
                }
                Store(id, new Entry(resolved, expires));
            }
            return resolved;
        }
        finally
        {
            _inFlight.TryRemove(id, out _);
        }
    }

    /// <summary>Drops every cached resolution of the key with this id.</summary>
    public void Forget(string keyId)
    {
        Interlocked.Increment(ref _generation);
        _inFlight.Clear();
        foreach (var (id, entry) in _entries)
        {
            if (entry.Key?.KeyId == keyId)
            {
                _entries.TryRemove(id, out _);
            }
        }
    }

    /// <summary>Drops everything (after a lost pub/sub connection, when revocations may have been missed).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _inFlight.Clear();
        _entries.Clear();
    }

    private void Store(string id, Entry entry)
    {
        if (_entries.Count >= MaxEntries)
        {
            // Guessed keys fill the cache with misses; sweeping keeps it bounded whatever an attacker sends.
            var now = time.GetUtcNow();
            foreach (var (k, e) in _entries)
            {
                if (e.Expires <= now || e.Key is null)
                {
                    _entries.TryRemove(k, out _);
                }
            }
        }
        _entries[id] = entry;
    }

    // Hashed on every authenticated call: on the stack, so the hex id is the one allocation (keys reaching here are at most 512 characters).
    private static string Hash(string apiKey)
    {
        const int MaxOnStack = 1024;
        var length = Encoding.UTF8.GetMaxByteCount(apiKey.Length);
        var utf8 = length <= MaxOnStack ? stackalloc byte[MaxOnStack] : new byte[length];
        var written = Encoding.UTF8.GetBytes(apiKey, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..written], hash);
        return Convert.ToHexString(hash);
    }

    private sealed record Entry(ResolvedKey? Key, DateTimeOffset Expires);

    /// <summary>One ControlPlane lookup shared by every concurrent caller of the key, and when it began.</summary>
    private sealed record Lookup(Lazy<Task<ResolvedKey?>> Task, DateTimeOffset Started);
}
