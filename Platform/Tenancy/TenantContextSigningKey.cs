using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.Platform.Tenancy;

/// <summary>
/// Derives the Gateway's ES256 signing key from a secret seed (an AppHost secret parameter), so every
/// Gateway replica signs with the same key without a PEM to distribute, and keys rotate by changing seeds.
/// </summary>
public static class TenantContextSigningKey
{
    public static ECDsaSecurityKey FromSeed(string seed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(seed);
        var d = SHA256.HashData(Encoding.UTF8.GetBytes("agentcloud-context-key:" + seed));
        // A hash is a valid P-256 scalar except with probability ~2^-32; rehash in that case.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
                return new ECDsaSecurityKey(ecdsa) { KeyId = KeyIdOf(ecdsa) };
            }
            catch (CryptographicException) when (attempt < 4)
            {
                d = SHA256.HashData(d);
            }
        }
    }

    /// <summary>The public half only, safe to publish in the JWKS.</summary>
    public static JsonWebKey ToPublicJwk(ECDsaSecurityKey key)
    {
        var p = key.ECDsa.ExportParameters(includePrivateParameters: false);
        return new JsonWebKey
        {
            Kty = "EC",
            Crv = "P-256",
            X = Base64UrlEncoder.Encode(p.Q.X),
            Y = Base64UrlEncoder.Encode(p.Q.Y),
            Kid = key.KeyId,
            Use = "sig",
            Alg = SecurityAlgorithms.EcdsaSha256,
        };
    }

    private static string KeyIdOf(ECDsa ecdsa)
    {
        var p = ecdsa.ExportParameters(includePrivateParameters: false);
        var hash = SHA256.HashData([.. p.Q.X!, .. p.Q.Y!]);
        return Base64UrlEncoder.Encode(hash.AsSpan(0, 12).ToArray());
    }
}
