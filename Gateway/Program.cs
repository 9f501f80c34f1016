using AgentCloud.Gateway.Apis;
using AgentCloud.Gateway.Auth;
using AgentCloud.Gateway.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.UseMiddleware<RequestIdMiddleware>();
app.UseMiddleware<CallerAuthenticationMiddleware>();
app.MapDefaultEndpoints();
app.MapJwksApi();
app.MapReverseProxy();

app.Run();
