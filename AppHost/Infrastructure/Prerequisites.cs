namespace AgentCloud.AppHost.Infrastructure;

/// <summary>Raised when local mode lacks a program it needs; the message is one line saying what to install.</summary>
public sealed class MissingPrerequisiteException(string message) : Exception(message);

/// <summary>Finds the programs local mode runs, so a missing one fails at once with a clear line instead of a hang.</summary>
public sealed record LocalPrograms(string RedisServer, string PostgresBin, string? Qdrant, bool PgvectorInstalled)
{
    public const string PostgresBinSetting = "AgentCloud:PostgresBinDirectory";
    public const string QdrantSetting = "AgentCloud:QdrantPath";
    private const string Fix = "run `sudo bash eng/prereqs.sh`, which installs everything local mode needs";

    public static LocalPrograms Find(IConfiguration configuration)
    {
        var redis = OnPath("redis-server")
            ?? throw new MissingPrerequisiteException($"redis-server is not installed: {Fix} (or `apt-get install redis-server`).");
        var pgBin = configuration[PostgresBinSetting] ?? "/usr/lib/postgresql/15/bin";
        if (!File.Exists(Path.Combine(pgBin, "postgres")) || !File.Exists(Path.Combine(pgBin, "initdb")))
        {
            throw new MissingPrerequisiteException($"PostgreSQL 15 server is not installed in {pgBin}: {Fix} (or `apt-get install postgresql-15`).");
        }
        var qdrant = configuration[QdrantSetting] is { Length: > 0 } q ? q : OnPath("qdrant");
        var pgvector = File.Exists("/usr/share/postgresql/15/extension/vector.control");
        if (qdrant is null && !pgvector)
        {
            throw new MissingPrerequisiteException($"Neither Qdrant nor pgvector is available for Memory: {Fix} (it builds pgvector).");
        }
        return new LocalPrograms(redis, pgBin, qdrant, pgvector);
    }

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
