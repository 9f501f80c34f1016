using AgentCloud.Console.Auth;
using AgentCloud.Console.Components;
using AgentCloud.Console.Extensions;
using AgentCloud.Console.Usage;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
// Run from the build output in any environment (the AppHost's), the app's and Fluent UI's assets are found through the build's manifest.
builder.WebHost.UseStaticWebAssets();

builder.AddServiceDefaults();
builder.AddConsoleServices();

var app = builder.Build();

app.UseForwardedHeaders(app.ForwardedFromGateway()); // scheme and real client, from the Gateway only
app.UsePathBase(app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.PathBase);
app.UseRouting(); // after the path base, so routes match the path beneath /console
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapSessionEndpoints();
app.MapChargebackCsv();
app.MapRazorComponents<App>();

app.Run();

public partial class Program;
