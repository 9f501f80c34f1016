using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace AgentCloud.Console.Auth;

/// <summary>Signing out: a form POST (anti-forgery checked) that drops the session cookie and returns to sign-in.</summary>
public static class SessionEndpoints
{
    public static void MapSessionEndpoints(this WebApplication app) =>
        app.MapPost("/signout", async (HttpContext http) =>
        {
            await http.SignOutAsync(ConsoleClaims.Scheme);
            return Results.LocalRedirect($"{http.Request.PathBase}/signin");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute()).ExcludeFromDescription();
}
