using AgentCloud.SandboxBroker.Apis;
using AgentCloud.SandboxBroker.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTenantContextValidation();
builder.AddApiDocument();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.UseWebSockets(); // for WebSockets to a sandbox's ports
app.MapDefaultEndpoints();
app.MapApiDocument();
app.MapSandboxesApi();
app.MapAdminSandboxesApi();

app.Run();

public partial class Program;
