namespace AgentCloud.Gateway.Auth;

/// <summary>The shape any API key has: 16 to 512 visible ASCII characters. Anything else is refused without asking the ControlPlane.</summary>
public static class ApiKeyFormat
{
    public static bool IsWellFormed(string key) =>
        key.Length is >= 16 and <= 512 && key.All(c => c is > ' ' and <= '~');
}
