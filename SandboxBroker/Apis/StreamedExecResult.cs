using System.Reflection;
using AgentCloud.SandboxBroker.Exec;
using Microsoft.AspNetCore.Http.Metadata;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>
/// The outcome of a streamed exec, whose events are already written when this is returned. It still carries the whole
/// result, so the idempotency filter keeps it: a keyed retry gets the buffered JSON answer of the one run, not a rerun.
/// </summary>
public sealed class StreamedExecResult(ExecResult result) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ExecResult>, IEndpointMetadataProvider
{
    public int? StatusCode => StatusCodes.Status200OK;

    public ExecResult Value => result;

    object? IValueHttpResult.Value => result;

    public Task ExecuteAsync(HttpContext httpContext) => Task.CompletedTask;

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [ExecEventStream.ContentType]));
}
