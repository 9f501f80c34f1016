using AgentCloud.Console.Api;
using AgentCloud.Console.Auth;
using AgentCloud.Console.Usage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.FluentUI.AspNetCore.Components;

namespace AgentCloud.Console.Extensions;

internal static class Extensions
{
    public static void AddConsoleServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>()
            .BindConfiguration(ConsoleOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(ConsoleOptions.SectionName).Get<ConsoleOptions>() ?? new ConsoleOptions();

        builder.Services.AddRazorComponents();
        builder.Services.AddFluentUIComponents();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddCascadingAuthenticationState();
        builder.AddSessions(options);

        // The API client: the Gateway by service discovery, with the user's key on each call (never a key of the console's own).
        // No retries: a 429 or 503 reaches the page as the API worded it (with its Retry-After) instead of holding the page.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked for evaluation; it is the one way to opt a client out of the defaults.
        builder.Services.AddHttpClient(PlatformApi.HttpClientName, (sp, c) =>
            {
                c.BaseAddress = sp.GetRequiredService<IOptions<ConsoleOptions>>().Value.GatewayUrl;
                c.Timeout = TimeSpan.FromSeconds(30);
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.Services.AddScoped<ConsoleUser>();
        builder.Services.AddScoped<IPlatformApi>(sp => new PlatformApi(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(PlatformApi.HttpClientName), sp.GetRequiredService<ConsoleUser>()));
        builder.Services.AddScoped<KeyVerifier>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddScoped<UsageLoader>();
    }

    /// <summary>
    /// The scheme and client the Gateway was asked by (<c>X-Forwarded-Proto</c>, <c>X-Forwarded-For</c>, which the Gateway
    /// sets itself, replacing what a client sent), believed only from loopback or a configured Gateway address: cookies
    /// are Secure behind HTTPS, and sign-in failures are counted per real client.
    /// </summary>
    public static ForwardedHeadersOptions ForwardedFromGateway(this WebApplication app)
    {
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        foreach (var proxy in app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.TrustedProxies)
        {
            forwarded.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy, out var address)
                ? address
                : throw new InvalidOperationException($"Console:TrustedProxies holds '{proxy}', which is not an IP address."));
        }
        return forwarded;
    }

    /// <summary>
    /// Cookie sessions: the cookie (encrypted and signed by Data Protection) is the only place the key is kept; HttpOnly,
    /// SameSite=Strict, Secure whenever the request is HTTPS, scoped to the console's path, sliding expiry.
    /// </summary>
    private static void AddSessions(this IHostApplicationBuilder builder, ConsoleOptions options)
    {
        var protection = builder.Services.AddDataProtection().SetApplicationName("agentcloud-console");
        if (!string.IsNullOrEmpty(options.KeysDirectory))
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(options.KeysDirectory));
        }
        builder.Services.AddAuthentication(ConsoleClaims.Scheme)
            .AddCookie(ConsoleClaims.Scheme, c =>
            {
                c.Cookie.Name = "agentcloud-console";
                c.Cookie.HttpOnly = true;
                c.Cookie.SameSite = SameSiteMode.Strict;
                c.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                c.ExpireTimeSpan = options.SessionIdleTimeout;
                c.SlidingExpiration = true;
                c.LoginPath = "/signin";
                c.AccessDeniedPath = "/forbidden";
                c.LogoutPath = "/signout";
            });
        builder.Services.AddAuthorization();
        builder.Services.AddAntiforgery(a =>
        {
            a.Cookie.Name = "agentcloud-console-af";
            a.Cookie.SameSite = SameSiteMode.Strict;
            a.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
    }
}
