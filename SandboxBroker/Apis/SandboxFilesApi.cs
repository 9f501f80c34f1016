using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Files;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>
/// Folder operations in a sandbox's workspace beside the single-file API: list, stat, make, delete, and folders as tar
/// archives up and down. Same confinement as the file API (see <see cref="WorkspaceDirectories"/>, <see cref="WorkspaceArchive"/>, <see cref="WorkspaceArchiveDownload"/>),
/// same answers to bad paths (400), missing ones (404), sizes over the limits (413) and a full workspace (507).
/// </summary>
public static class SandboxFilesApi
{
    public const string TarContentType = "application/x-tar";

    /// <summary>On the sandboxes group, so its capability check applies.</summary>
    public static RouteGroupBuilder MapSandboxFileOperations(this RouteGroupBuilder api)
    {
        api.MapGet("/{id}/dirs/{**path}", ListFolder);
        api.MapPut("/{id}/dirs/{**path}", MakeFolder);
        api.MapGet("/{id}/stat/{**path}", StatPath);
        api.MapDelete("/{id}/files/{**path}", DeletePath);
        api.MapPut("/{id}/archive/{**path}", UploadArchive);
        api.MapGet("/{id}/archive/{**path}", DownloadArchive);
        return api;
    }

    /// <summary>A folder's entries in name order; <c>truncated</c> when it holds more than the listing limit.</summary>
    public sealed record FolderListing(string Path, IReadOnlyList<WorkspaceEntry> Entries, bool Truncated);

    public static Results<Ok<FolderListing>, ProblemHttpResult> ListFolder(
        TenantContext ctx, string id, string? path, SandboxManager manager, IOptions<SandboxBrokerOptions> options) =>
        OnWorkspace<Ok<FolderListing>>(ctx, id, manager, sandbox =>
        {
            var (entries, truncated) = WorkspaceDirectories.List(sandbox.Slot.Workspace, Decode(path), options.Value.MaxListEntries);
            return TypedResults.Ok(new FolderListing(Decode(path) ?? "", entries, truncated));
        });

    /// <summary>mkdir -p: 201 when the folder was made now, 200 when it was there already.</summary>
    public static Results<Created<WorkspaceEntry>, Ok<WorkspaceEntry>, ProblemHttpResult> MakeFolder(
        TenantContext ctx, string id, string? path, SandboxManager manager)
    {
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            return SandboxesApi.NotFound(id);
        }
        try
        {
            var made = WorkspaceDirectories.Make(sandbox.Slot.Workspace, Decode(path) ?? "", sandbox.Slot.Uid);
            var entry = WorkspaceDirectories.Stat(sandbox.Slot.Workspace, Decode(path));
            sandbox.LastUsedAt = DateTimeOffset.UtcNow;
            return made ? TypedResults.Created($"/v1/sandboxes/{id}/dirs/{path}", entry) : TypedResults.Ok(entry);
        }
        catch (Exception e) when (Problem(e) is { } problem)
        {
            return problem;
        }
    }

    public static Results<Ok<WorkspaceEntry>, ProblemHttpResult> StatPath(TenantContext ctx, string id, string? path, SandboxManager manager) =>
        OnWorkspace<Ok<WorkspaceEntry>>(ctx, id, manager, sandbox => TypedResults.Ok(WorkspaceDirectories.Stat(sandbox.Slot.Workspace, Decode(path))));

    /// <summary>Deletes a file, a symlink (not what it points to) or a folder; one with entries only with <c>?recursive=true</c>.</summary>
    public static Results<NoContent, ProblemHttpResult> DeletePath(TenantContext ctx, string id, string? path, bool? recursive, SandboxManager manager) =>
        OnWorkspace<NoContent>(ctx, id, manager, sandbox =>
        {
            WorkspaceDirectories.Delete(sandbox.Slot.Workspace, Decode(path) ?? "", recursive == true);
            return TypedResults.NoContent();
        });

    /// <summary>Unpacks a tar body into the folder (made if missing); the body is kept in a private temporary file for the two passes.</summary>
    public static async Task<Results<Ok<ArchiveExtracted>, ProblemHttpResult>> UploadArchive(
        TenantContext ctx, string id, string? path, SandboxManager manager, HttpContext http, IOptions<SandboxBrokerOptions> options, CancellationToken cancellationToken)
    {
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            return SandboxesApi.NotFound(id);
        }
        var limits = Limits(options.Value, upload: true);
        if (http.Request.ContentLength > limits.MaxBytes)
        {
            return SandboxesApi.TooLarge($"The archive is {http.Request.ContentLength} bytes; the limit is {limits.MaxBytes}.");
        }
        try
        {
            await using var body = new FileStream(Path.Combine(Path.GetTempPath(), $"agentcloud-archive-{Guid.NewGuid():N}.tar"), new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            await CopyCappedAsync(http.Request.Body, body, limits.MaxBytes, cancellationToken);
            body.Position = 0;
            var extracted = await WorkspaceArchive.ExtractAsync(sandbox.Slot.Workspace, Decode(path), body, limits, sandbox.Slot.Uid, cancellationToken);
            sandbox.LastUsedAt = DateTimeOffset.UtcNow;
            return TypedResults.Ok(extracted);
        }
        catch (Exception e) when (Problem(e) is { } problem)
        {
            return problem;
        }
    }

    /// <summary>The folder (default: the whole workspace) as a tar archive; over the limits it is 413 before any byte is sent.</summary>
    public static Results<PushStreamHttpResult, ProblemHttpResult> DownloadArchive(
        TenantContext ctx, string id, string? path, SandboxManager manager, HttpContext http, IOptions<SandboxBrokerOptions> options) =>
        OnWorkspace<PushStreamHttpResult>(ctx, id, manager, sandbox =>
        {
            var write = WorkspaceArchiveDownload.Plan(sandbox.Slot.Workspace, Decode(path), Limits(options.Value, upload: false), sandbox.Slot.Uid);
            var name = WorkspaceDirectories.IsWorkspace(Decode(path)) ? "workspace" : Path.GetFileName(Decode(path)!.TrimEnd('/'));
            return TypedResults.Stream(stream => write(stream, http.RequestAborted), TarContentType, name + ".tar");
        });

    private static ArchiveLimits Limits(SandboxBrokerOptions options, bool upload) =>
        new(upload ? options.MaxUploadBytes : options.MaxDownloadBytes, options.MaxArchiveEntries);

    private static Results<T, ProblemHttpResult> OnWorkspace<T>(TenantContext ctx, string id, SandboxManager manager, Func<Sandbox, T> operation)
        where T : IResult
    {
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            return SandboxesApi.NotFound(id);
        }
        try
        {
            var result = operation(sandbox);
            sandbox.LastUsedAt = DateTimeOffset.UtcNow;
            return result;
        }
        catch (Exception e) when (Problem(e) is { } problem)
        {
            return problem;
        }
    }

    private static async Task CopyCappedAsync(Stream from, Stream to, long max, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > max)
            {
                throw new WorkspaceFileTooLargeException($"Archive uploads are limited to {max} bytes.");
            }
            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private static string? Decode(string? path) => string.IsNullOrEmpty(path) ? path : SandboxesApi.Decode(path);

    private static ProblemHttpResult? Problem(Exception e) => e is WorkspaceFolderNotEmptyException
        ? Problems.Create(StatusCodes.Status409Conflict, "sandbox-folder-not-empty", "Folder not empty", e.Message)
        : SandboxesApi.FileProblem(e);
}
