using System.Text.Json.Nodes;

namespace AgentCloud.Bench.Cache;

/// <summary>One call of the workload: which tenant, which of the shared agent prompts, and the user's question.</summary>
public sealed record WorkloadCall(int Tenant, int Prompt, string Body);

/// <summary>
/// A SaaS agent workload: every tenant runs the same few agents, each with a long system prompt, and asks each agent
/// several different questions. The same prompts across tenants are what salting must keep apart; the repeats within
/// a tenant are what a prefix cache can serve. The order is shuffled with a fixed seed, so every scenario sees the same calls.
/// </summary>
public static class Workload
{
    public static IReadOnlyList<WorkloadCall> Build(int tenants, int prompts, int repeats, int seed = 18)
    {
        var systems = Enumerable.Range(0, prompts).Select(SystemPrompt).ToArray();
        var calls = new List<WorkloadCall>();
        for (var t = 0; t < tenants; t++)
        {
            for (var p = 0; p < prompts; p++)
            {
                for (var r = 0; r < repeats; r++)
                {
                    calls.Add(new WorkloadCall(t, p, Body(systems[p], $"Customer {t} asks question {r}: what happens to order {1000 + r * 7 + t}?")));
                }
            }
        }
        var random = new Random(seed);
        return [.. calls.OrderBy(_ => random.Next())];
    }

    /// <summary>About 800 tokens of agent instructions, different per agent from the first sentence.</summary>
    private static string SystemPrompt(int agent) =>
        $"You are agent number {agent} of the support desk. " + string.Join(' ', Enumerable.Range(0, 160).Select(i => $"Rule {agent}.{i}: answer briefly."));

    private static string Body(string system, string question) => new JsonObject
    {
        ["model"] = "sim-small",
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = system },
            new JsonObject { ["role"] = "user", ["content"] = question }),
        ["max_tokens"] = 8,
        ["min_tokens"] = 8,
        ["stream"] = true,
        ["stream_options"] = new JsonObject { ["include_usage"] = true },
    }.ToJsonString();
}
