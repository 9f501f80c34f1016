using System.ComponentModel.DataAnnotations;

namespace AgentCloud.ControlPlane.Extensions;

/// <summary>The ControlPlane's secrets: the vault's master key comes from the AppHost secret parameter <c>vault-master-key</c>.</summary>
public sealed class ControlPlaneOptions
{
    public const string SectionName = "ControlPlane";

    /// <summary>Wraps every tenant's data key; the service's database password is derived from it too.</summary>
    [Required(AllowEmptyStrings = false), MinLength(16)]
    public string VaultMasterKey { get; set; } = "";

    /// <summary>Stored with every wrapped data key, so a rotated master key can still unwrap older ones.</summary>
    [Range(1, int.MaxValue)]
    public int VaultMasterKeyVersion { get; set; } = 1;

    /// <summary>Master keys rotated out, by version: used only to unwrap data keys sealed before the rotation.</summary>
    public Dictionary<int, string> PreviousVaultMasterKeys { get; set; } = [];

    /// <summary>How often refused uses of tenants' keys are written to their trails, as one counted entry per tenant.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefusalAuditWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after its last good resolution a key is still resolved from memory while Postgres is away (keys never
    /// resolved, or refused, get 503 then). Zero turns the stale-while-error answers off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan StaleKeyResolutionBound { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The tool executor's key (AppHost secret parameter <c>tool-injection-key</c>): a reveal in a tenant's own context
    /// that also carries it in <c>x-agentcloud-injector</c> is the Tools service injecting a credential. Empty: none is.
    /// </summary>
    public string ToolInjectionKey { get; set; } = "";
}
