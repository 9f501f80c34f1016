namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>A file API path as the pod's shell sees it: relative to its working folder, /workspace, and never above it.</summary>
public static class ClusterPaths
{
    /// <exception cref="Files.WorkspacePathException">for an empty or absolute path, a NUL, or a '..' segment.</exception>
    public static string InWorkspace(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (path.StartsWith('/') || path.Contains('\0') || segments.Length == 0 || segments.Any(s => s is ".." or "."))
        {
            throw new Files.WorkspacePathException($"'{path}' is not a path inside the workspace: give a relative path without '.' or '..' segments, e.g. src/main.py.");
        }
        // "./" first, so no segment can read as an option to the commands it is given to.
        return "./" + string.Join('/', segments);
    }
}
