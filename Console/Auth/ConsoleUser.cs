using System.Security.Claims;

namespace AgentCloud.Console.Auth;

/// <summary>The signed-in user's key, for the API client only: pages see the role, tenant and prefix, never the key.</summary>
public sealed class ConsoleUser(IHttpContextAccessor accessor)
{
    public string? Key => accessor.HttpContext?.User.FindFirstValue(ConsoleClaims.KeyType);
}
