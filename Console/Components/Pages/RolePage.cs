using System.Security.Claims;
using AgentCloud.Console.Auth;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace AgentCloud.Console.Components.Pages;

/// <summary>
/// A page that decides from the signed-in principal, before it asks the API for anything, whether this user may see it.
/// The endpoint's [Authorize] refuses first; this is the second wall (and the one a component test exercises). The API
/// refuses in any case: the console only ever holds the user's own key.
/// </summary>
public abstract class RolePage : ComponentBase
{
    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    protected ClaimsPrincipal User { get; private set; } = new();

    /// <summary>Whether the user may see this page; when false the page renders its refusal and calls nothing.</summary>
    protected bool Allowed { get; private set; }

    protected abstract bool MayView(ClaimsPrincipal user);

    protected override async Task OnInitializedAsync()
    {
        User = AuthenticationState is null ? new ClaimsPrincipal() : (await AuthenticationState).User;
        Allowed = MayView(User);
        if (Allowed)
        {
            await LoadAsync();
        }
    }

    protected virtual Task LoadAsync() => Task.CompletedTask;
}

/// <summary>An operator page: a tenant's key is refused (403).</summary>
public abstract class OperatorPage : RolePage
{
    protected override bool MayView(ClaimsPrincipal user) => user.IsOperator();
}

/// <summary>A tenant's page: only for that tenant's own key; another tenant's id in the URL is answered as if it did not exist (404).</summary>
public abstract class TenantPage : RolePage
{
    [Parameter] public string TenantId { get; set; } = "";

    protected override bool MayView(ClaimsPrincipal user) => user.TenantId() is { } own && string.Equals(own, TenantId, StringComparison.Ordinal);
}
