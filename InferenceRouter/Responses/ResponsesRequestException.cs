namespace AgentCloud.InferenceRouter.Responses;

/// <summary>A request the Responses API cannot serve, with the reason a person can act on.</summary>
internal sealed class ResponsesRequestException(string problem) : Exception(problem);
