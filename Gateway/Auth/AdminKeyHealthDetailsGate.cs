namespace AgentCloud.Gateway.Auth;

/// <summary>The Gateway's <c>/health</c> shows failing checks' exception text only to a caller presenting the operator key.</summary>
public sealed class AdminKeyHealthDetailsGate(AdminKeyVerifier adminKeys) : IHealthDetailsGate
{
    public Task<bool> AdmitsAsync(HttpContext context) =>
        Task.FromResult(BearerToken.From(context.Request) is { } token && adminKeys.IsAdminKey(token));
}
