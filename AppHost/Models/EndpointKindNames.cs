namespace AgentCloud.AppHost.Models;

/// <summary>The kinds as configuration spells them, and the router's name for each.</summary>
public static class EndpointKindNames
{
    public const string Simulator = "simulator";

    public static readonly IReadOnlyDictionary<string, string> ToRouter = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["openai"] = "OpenAi",
        ["azure-openai"] = "AzureOpenAi",
        ["vllm"] = "Vllm",
        ["ollama"] = "Ollama",
        [Simulator] = "Simulator",
    };

    /// <summary>Whether the kind's servers keep prompts with different <c>cache_salt</c> apart, unless configured otherwise.</summary>
    public static bool CacheSaltByDefault(string kind) => kind is Simulator or "vllm";

    /// <summary>Hosted services that always want a key.</summary>
    public static bool NeedsKey(string kind) => kind is "openai" or "azure-openai";
}
