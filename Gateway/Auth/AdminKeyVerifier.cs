using System.Security.Cryptography;
using System.Text;
using AgentCloud.Gateway.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Auth;

/// <summary>Checks the operator key in constant time (comparing hashes, so length leaks nothing either).</summary>
public sealed class AdminKeyVerifier(IOptions<GatewayOptions> options)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminKey));

    public bool IsAdminKey(string presented) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected);
}
