using V2VConverter.Formats.Disk;
using V2VConverter.Guest;
using V2VConverter.Mapping.Plan;

namespace V2VConverter.Pipeline.Documents;

/// <summary>
/// <c>DIR/NAME.report.json</c>: each device before and after (the rows of <c>inspect</c>, same keys),
/// the decisions, each disk copied, the guest conversion with every fixup's changes, the warnings.
/// </summary>
public sealed record ConversionReportDocument : IVersionedDocument
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required string Name { get; init; }

    /// <summary>Where the VM came from: the .vmx path or the vSphere URI and VM.</summary>
    public required string? Source { get; init; }

    public required IReadOnlyList<DeviceRow> Devices { get; init; }

    public required IReadOnlyList<DecisionRow> Decisions { get; init; }

    public required IReadOnlyList<DiskCopyRow> Disks { get; init; }

    /// <summary>The guest conversion; null when it was skipped (<c>--no-guest-fixups</c>, output disks not local) or before the copy.</summary>
    public GuestConversionSection? Guest { get; init; }

    /// <summary>Each warning as <c>warning: FILE:LINE: text</c>.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    public static ConversionReportDocument Create(ConversionPlan plan, IReadOnlyList<DiskConvertResult> disks, GuestConversionReport? guest, IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(disks);
        return new ConversionReportDocument
        {
            Name = plan.Name,
            Source = plan.Source.Origin,
            Devices = PlanReport.Rows(plan),
            Decisions = DecisionRow.Of(plan),
            Disks = disks.Select(DiskCopyRow.Of).ToList(),
            Guest = guest is null ? null : GuestConversionSection.Of(guest),
            Warnings = warnings,
        };
    }
}

/// <summary>One disk copied: the output file, its virtual and file sizes, the source bytes read and the time taken.</summary>
public sealed record DiskCopyRow(string Output, long VirtualSize, long FileSize, long DataBytesRead, double Seconds)
{
    public static DiskCopyRow Of(DiskConvertResult d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new DiskCopyRow(d.OutputPath, d.VirtualSize, d.OutputFileSize, d.DataBytesRead, Math.Round(d.Elapsed.TotalSeconds, 3));
    }
}
