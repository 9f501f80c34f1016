using AgentCloud.Platform.Contracts;

namespace AgentCloud.Gateway.Auth;

/// <summary>Turns a presented tenant API key into who it belongs to.</summary>
public interface ITenantKeyResolver
{
    /// <summary>The key's owner and policy, or null when the key is unknown or revoked.</summary>
    /// <exception cref="KeyResolutionUnavailableException">The source of truth could not answer.</exception>
    Task<ResolvedKey?> ResolveAsync(string apiKey, CancellationToken cancellationToken);

    /// <summary>The answer already at hand without asking anyone (a fresh cache entry), if any.</summary>
    bool TryGetCached(string apiKey, out ResolvedKey? key)
    {
        key = null;
        return false;
    }

    /// <summary>True when the key resolved to an owner here before and was not revoked since (its entry may have expired).</summary>
    bool WasKnownGood(string apiKey) => false;

    /// <summary>True when a lookup of this key is already running (a caller waiting for it adds no lookup of its own).</summary>
    bool IsResolving(string apiKey) => false;
}

/// <summary>The ControlPlane could not say whether a key is valid (down, slow, or refusing the Gateway).</summary>
public sealed class KeyResolutionUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
