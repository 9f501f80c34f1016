using AgentCloud.Tools.Apis;
using AgentCloud.Tools.Extensions;
using AgentCloud.Tools.Mcp;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTenantContextValidation();
builder.AddApiDocument(McpApiDocument.Describe);
builder.AddApplicationServices();
builder.AddMcpGateway();

var app = builder.Build();

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapApiDocument();
app.MapToolServersApi();
app.MapMcpGateway();

app.Run();

public partial class Program;
