using AgentCloud.Console.Auth;
using AgentCloud.Console.Components;
using AgentCloud.Console.Extensions;
using AgentCloud.Console.Usage;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddConsoleServices();

var app = builder.Build();

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
