namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>What claiming a lease as lost found.</summary>
public enum LossClaim
{
    /// <summary>Its record was taken by this claim: the claimant bills it.</summary>
    Claimed,

    /// <summary>The fleet holds proof that another claimant billed it: bill nothing.</summary>
    BilledElsewhere,

    /// <summary>No record and no proof (ended by its owner, or Redis lost its data): bill only what nobody else would.</summary>
    NoRecord,

    /// <summary>Its host is not declared dead (it beat again): not lost.</summary>
    NotDeclared,
}
