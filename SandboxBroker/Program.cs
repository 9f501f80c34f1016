using AgentCloud.SandboxBroker.Apis;
using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Fleet;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTenantContextValidation();
builder.AddApiDocument();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.UseSandboxFleet(); // a call for a sibling's sandbox goes to its owner: Fleet/FleetRouting.cs
app.UseWebSockets(); // for WebSockets to a sandbox's ports
app.MapDefaultEndpoints();
app.MapApiDocument();
app.MapSandboxesApi();
app.MapAdminSandboxesApi();

app.Run();

public partial class Program;
