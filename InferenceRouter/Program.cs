using AgentCloud.InferenceRouter.Apis;
using AgentCloud.InferenceRouter.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTenantContextValidation();
builder.AddApiDocument();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapApiDocument();
app.MapModelsApi();
app.MapChatCompletionsApi();
app.MapEmbeddingsApi();
app.MapResponsesApi();

app.Run();
