using AgentCloud.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Why an admission step turned a request away; becomes a problem+json answer.</summary>
public sealed record Refusal(int Status, string Slug, string Title, string Detail)
{
    public ProblemHttpResult ToProblem() => Problems.Create(Status, Slug, Title, Detail);
}
