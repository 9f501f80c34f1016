using AgentCloud.Platform.Streams;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>How the ControlPlane reads the platform audit stream; section <c>ControlPlane:PlatformAudit</c>.</summary>
public sealed class PlatformAuditOptions : StreamConsumerOptions
{
    public const string SectionName = "ControlPlane:PlatformAudit";

    public PlatformAuditOptions() => ConsumerGroup = "controlplane";
}
