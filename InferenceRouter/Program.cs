using AgentCloud.InferenceRouter.Apis;
using AgentCloud.InferenceRouter.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTenantContextValidation();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapModelsApi();
app.MapChatCompletionsApi();
app.MapEmbeddingsApi();
app.MapResponsesApi();

app.Run();
