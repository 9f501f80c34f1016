using System.Security.Claims;
using AgentCloud.Console.Api;
using AgentCloud.Console.Auth;
using AgentCloud.Console.Usage;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;

namespace AgentCloud.Console.Tests;

/// <summary>A bUnit context with the console's components, a fake API client and a signed-in principal of a role.</summary>
public abstract class ConsoleTestContext : BunitContext
{
    public const string AntiforgeryValue = "antiforgery-token-for-test";

    protected ConsoleTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddFluentUIComponents();
        Services.AddSingleton<IPlatformApi>(Api);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<UsageLoader>();
        Services.AddSingleton(new SignInThrottle(Microsoft.Extensions.Options.Options.Create(new Extensions.ConsoleOptions()), TimeProvider.System));
        Services.AddSingleton<AntiforgeryStateProvider>(new FixedAntiforgery());
    }

    protected FakePlatformApi Api { get; } = new();

    /// <summary>Renders as the console does behind the Gateway: statically on the server (forms post, with anti-forgery).</summary>
    protected IRenderedComponent<T> Page<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null) where T : Microsoft.AspNetCore.Components.IComponent
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Static", isInteractive: false));
        return Render(parameters);
    }

    protected void SignInAsOperator(string key = "operator-secret-key-0123456789") => SignIn(ConsoleClaims.Operator(key));

    protected void SignInAsTenant(string tenantId, string key = "ac_abcdefghijkl_0123456789012345678901234567890123456789") =>
        SignIn(ConsoleClaims.Tenant(key, tenantId));

    private void SignIn(ClaimsPrincipal principal)
    {
        var auth = AddAuthorization();
        auth.SetAuthorized(principal.Identity!.Name!);
        auth.SetRoles(principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray());
        auth.SetClaims(principal.Claims.Where(c => c.Type is not (ClaimTypes.Role or ClaimTypes.Name)).ToArray());
    }

    private sealed class FixedAntiforgery : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new(AntiforgeryValue, "__RequestVerificationToken");
    }
}
