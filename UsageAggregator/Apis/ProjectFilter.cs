using System.Text.RegularExpressions;
using AgentCloud.UsageAggregator.Data;

namespace AgentCloud.UsageAggregator.Apis;

/// <summary>
/// The optional <c>projectId=</c> of the usage reads: a project id (<c>prj_…</c>), or <c>none</c> for the usage of keys of
/// no project. Only the shape is checked: a project that does not exist (or is another tenant's) simply has no rows.
/// </summary>
public static partial class ProjectFilter
{
    public const string None = "none";

    /// <summary>The rollups' project for <paramref name="value"/> (null: every project, as for an empty value); false and a reason when it cannot be a project id.</summary>
    public static bool TryParse(string? value, out string? projectId, out string? problem)
    {
        problem = null;
        projectId = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (value == None || Shape().IsMatch(value))
        {
            projectId = value == None ? RollupDelta.NoProject : value;
            return true;
        }
        problem = $"'projectId' must be a project id such as prj_0123456789abcdef, or '{None}' for usage of keys of no project.";
        return false;
    }

    [GeneratedRegex(@"^prj_[A-Za-z0-9]{1,60}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
