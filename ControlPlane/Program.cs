using AgentCloud.ControlPlane.Apis;
using AgentCloud.ControlPlane.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTenantContextValidation();
builder.AddApiDocument();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapApiDocument();

app.MapTenantsApi();
app.MapKeysApi();
app.MapTenantKeysApi();
app.MapProjectsApi();
app.MapAlertsApi();
app.MapAuditApi();
app.MapCredentialsApi();
app.MapInternalApi();

app.Run();

public partial class Program;
