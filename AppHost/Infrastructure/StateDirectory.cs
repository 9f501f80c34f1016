namespace AgentCloud.AppHost.Infrastructure;

/// <summary>
/// Where local-mode stores keep their data between runs. Root uses /var/lib/agentcloud (the postgres user
/// must be able to reach it, which a folder under /root would forbid); others use ~/.local/state/agentcloud.
/// </summary>
public static class StateDirectory
{
    public const string SettingName = "AgentCloud:StateDirectory";

    public static string Resolve(IConfiguration configuration)
    {
        var configured = configuration[SettingName];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }
        if (Environment.UserName == "root")
        {
            return "/var/lib/agentcloud";
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var baseDir = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state")
            : xdg;
        return Path.Combine(baseDir, "agentcloud");
    }
}
