using Serilog;
using V2VConverter.Guest;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Model.Vm;

namespace V2VConverter.Pipeline.Contracts;

/// <summary>What a guest converter gets: the launched appliance over the output disks, and the identified OS.</summary>
public sealed record GuestConversionInput(
    GuestfsSession Session,
    OsIdentity Os,
    IReadOnlyList<(string SourceDevice, string TargetDevice)> DeviceMap,
    IReadOnlyList<NicInfo> Nics,
    GuestConversionOptions Options,
    ILogger Log);

/// <summary>The report for the user, and the typed facts for the planner.</summary>
public sealed record GuestConversionOutcome(GuestConversionReport Report, GuestFacts Facts);

/// <summary>
/// Converts one family of guests (Linux now, Windows next), chosen by the inspected OS. It returns
/// facts, and the job plans the final domain from them: no re-plan callback.
/// </summary>
public interface IGuestConverter
{
    /// <summary>A short name for logs and the report: "linux".</summary>
    string Name { get; }

    /// <summary>True when this converter handles the identified OS.</summary>
    bool Handles(OsIdentity os);

    /// <summary>Converts the guest in place on the output disks. The stage shuts the appliance down afterwards.</summary>
    GuestConversionOutcome Convert(GuestConversionInput input);
}
