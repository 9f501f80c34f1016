using AgentCloud.Memory.Apis;
using AgentCloud.Memory.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTenantContextValidation();
builder.AddApiDocument();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapApiDocument();
app.MapMemoryApi();

app.Run();

public partial class Program;
