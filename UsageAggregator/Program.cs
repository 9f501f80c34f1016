using AgentCloud.UsageAggregator.Apis;
using AgentCloud.UsageAggregator.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTenantContextValidation();
builder.AddApiDocument();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapApiDocument();
app.MapUsageApi();
app.MapAdminUsageApi();

app.Run();

public partial class Program;
