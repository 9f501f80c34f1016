namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>The kinds of OpenAI-compatible upstream the router speaks to; they differ in cache isolation and field names.</summary>
public enum EndpointKind
{
    Simulator,
    Vllm,
    Ollama,
    OpenAi,
    AzureOpenAi,
}

public static class EndpointKinds
{
    /// <summary>Only servers that partition their prefix cache by <c>cache_salt</c> take it; OpenAI and Azure refuse unknown fields.</summary>
    public static bool SupportsCacheSaltByDefault(this EndpointKind kind) => kind is EndpointKind.Simulator or EndpointKind.Vllm;

    /// <summary>OpenAI's own APIs take <c>max_completion_tokens</c> (reasoning models refuse <c>max_tokens</c>) and <c>prompt_cache_key</c>.</summary>
    public static bool IsOpenAiService(this EndpointKind kind) => kind is EndpointKind.OpenAi or EndpointKind.AzureOpenAi;
}
