using AgentCloud.SampleToolServer;

// A small MCP server for local runs and tests: what a tenant's own tool server looks like to the platform.
var builder = WebApplication.CreateBuilder(args);

builder.Services.AddHttpContextAccessor();
builder.Services.AddSingleton<TicketBook>();
builder.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "agentcloud-sample-tickets", Version = "1.0" })
    .WithHttpTransport(o => o.Stateless = true)
    .WithTools<TicketTools>();

var app = builder.Build();

app.MapGet("/health", () => Results.Json(new { status = "Healthy" }));
app.UseMiddleware<BearerTokenRequired>();
app.MapMcp("/mcp");

app.Run();

public partial class Program;
