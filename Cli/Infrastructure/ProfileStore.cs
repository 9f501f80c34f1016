using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>
/// Writes a profile into the profiles file that <see cref="CliSettings"/> reads, keeping the other profiles. The file
/// holds keys, so it is created readable by its owner only (0600, its folder 0700) and replaced in one rename.
/// </summary>
public static class ProfileStore
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnlyFile | UnixFileMode.UserExecute;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Save(string file, string name, Uri url, string key)
    {
        var profiles = Read(file);
        profiles[name] = new JsonObject { ["url"] = url.ToString().TrimEnd('/'), ["key"] = key };

        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder); else Directory.CreateDirectory(folder, OwnerOnlyFolder);
        }
        var temporary = file + ".tmp-" + Environment.ProcessId;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, profiles, Indented);
        }
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, OwnerOnlyFile); // a leftover temporary of another mode is not trusted
        }
        File.Move(temporary, file, overwrite: true);
    }

    private static JsonObject Read(string file)
    {
        if (!File.Exists(file))
        {
            return [];
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(file)) as JsonObject
                ?? throw new CliUsageException($"{file} does not hold a JSON object of profiles; fix or remove it.");
        }
        catch (JsonException e)
        {
            throw new CliUsageException($"{file} is not valid JSON ({e.Message}); fix or remove it.");
        }
    }
}
