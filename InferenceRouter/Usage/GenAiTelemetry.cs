using System.Diagnostics;
using AgentCloud.InferenceRouter.Admission;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.InferenceRouter.Usage;

/// <summary>
/// The OpenTelemetry GenAI semantic-convention attributes on the request's span, set when the call's usage is known:
/// the operation, the model the tenant asked for and the tokens it was billed for.
/// </summary>
public static class GenAiTelemetry
{
    public const string OperationName = "gen_ai.operation.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";

    public static void Tag(Activity? span, InferenceCall call, UsageEvent usage)
    {
        if (span is null || !span.IsAllDataRequested)
        {
            return;
        }
        span.SetTag(OperationName, call.Kind == InferenceKind.Chat ? "chat" : "embeddings");
        span.SetTag(RequestModel, call.Model);
        span.SetTag(InputTokens, usage.InputTokens);
        span.SetTag(OutputTokens, usage.OutputTokens);
    }
}
