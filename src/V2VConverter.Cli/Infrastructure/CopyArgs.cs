using V2VConverter.Formats.Vmdk;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>The options every copying command shares (<c>convert</c>, <c>disk convert</c>): -c, --fsync, --machine-readable and how VMDKs are opened.</summary>
internal sealed record CopyArgs(bool Compress, bool Fsync, bool MachineReadable, VmdkOpenOptions Vmdk)
{
    public static CopyArgs Read(ArgReader args) => new(
        args.Flag("-c", "--compress"),
        args.Flag("--fsync"),
        args.Flag("--machine-readable"),
        new VmdkOpenOptions { IgnoreCid = args.Flag("--ignore-cid"), AllowAbsoluteExtents = args.Flag("--allow-absolute-extents") });
}
