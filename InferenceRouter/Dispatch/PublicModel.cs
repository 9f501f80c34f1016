using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Admission;

namespace AgentCloud.InferenceRouter.Dispatch;

/// <summary>Clients see the public model id they asked for, never the upstream's own name for it (a deployment, a served name).</summary>
public static class PublicModel
{
    /// <summary>Whether the call's endpoint knows its model by another name (then answers need <see cref="Restore"/>).</summary>
    public static bool IsAliased(InferenceCall call) => !string.Equals(call.Route.Endpoint.UpstreamModel(call.Model), call.Model, StringComparison.Ordinal);

    /// <summary>Puts the public id in an answer's (or a chunk's) <c>model</c> field; true when it changed anything.</summary>
    public static bool Restore(JsonNode? answer, InferenceCall call)
    {
        if (!IsAliased(call) || answer is not JsonObject o || !o.ContainsKey("model"))
        {
            return false;
        }
        o["model"] = call.Model;
        return true;
    }
}
