using AgentCloud.ModelSimulator.Apis;
using AgentCloud.ModelSimulator.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.UseMiddleware<UpstreamApiKeyMiddleware>();
app.MapDefaultEndpoints();
app.MapModelsApi();
app.MapChatCompletionsApi();
app.MapEmbeddingsApi();

app.Run();
