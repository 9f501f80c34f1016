using System.Collections.Concurrent;
using System.Diagnostics;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.InferenceRouter.Usage;

namespace AgentCloud.InferenceRouter.Tests;

/// <summary>
/// An inference call's span carries the GenAI semantic-convention attributes: the operation, the requested model and
/// the tokens billed, the same numbers as the answer's usage; and the tenant under <c>tenant.id</c>.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class GenAiTelemetryTests(RouterPlatform platform)
{
    [Fact]
    public async Task A_chat_span_names_the_model_and_the_tokens_of_its_usage()
    {
        var tenant = platform.Policies.Add("pro");
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var client = platform.Router.ClientFor(tenant);

        var answer = await Chat.CompleteAsync(client, Chat.Body("Tell the dashboard what this call cost", extra: b => b["max_tokens"] = 12));

        // The server stops the span just after answering; wait for it (bounded), never on a clock.
        Activity? span = null;
        for (var i = 0; i < 200 && span is null; i++)
        {
            span = spans.FirstOrDefault(s => s.GetTagItem("tenant.id") as string == tenant.TenantId && s.GetTagItem(GenAiTelemetry.RequestModel) is not null);
            if (span is null) await Task.Delay(10);
        }
        Assert.NotNull(span);
        Assert.Equal("chat", span.GetTagItem(GenAiTelemetry.OperationName));
        Assert.Equal("sim-small", span.GetTagItem(GenAiTelemetry.RequestModel));
        Assert.Equal(answer["usage"]!["prompt_tokens"]!.GetValue<int>(), Convert.ToInt32(span.GetTagItem(GenAiTelemetry.InputTokens), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(answer["usage"]!["completion_tokens"]!.GetValue<int>(), Convert.ToInt32(span.GetTagItem(GenAiTelemetry.OutputTokens), System.Globalization.CultureInfo.InvariantCulture));
    }
}
