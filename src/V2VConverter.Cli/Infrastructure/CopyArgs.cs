using System.CommandLine;
using V2VConverter.Formats.Vmdk;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>The options every copying command shares (<c>convert</c>, <c>disk convert</c>): -c, --fsync, --machine-readable and how VMDKs are opened.</summary>
internal sealed record CopyArgs(bool Compress, bool Fsync, bool MachineReadable, VmdkOpenOptions Vmdk);

/// <summary>The definitions of <see cref="CopyArgs"/>; one instance per command.</summary>
internal sealed class CopyOptionSet
{
    private readonly Option<bool> _compress = CliOptions.Flag("-c", "compress qcow2 clusters (zlib, on all cores)", "--compress");
    private readonly Option<bool> _fsync = CliOptions.Flag("--fsync", "flush the output to stable storage before reporting success");
    private readonly Option<bool> _machineReadable = CliOptions.Flag("--machine-readable", "progress as JSON lines on stdout: {\"type\":\"progress\",\"done\":N,\"total\":N}");
    private readonly VmdkOptionSet _vmdk = new();

    public void AddTo(Command command)
    {
        command.Options.Add(_compress);
        command.Options.Add(_fsync);
        command.Options.Add(_machineReadable);
        _vmdk.AddTo(command);
    }

    public CopyArgs Bind(ParseResult result) =>
        new(result.GetValue(_compress), result.GetValue(_fsync), result.GetValue(_machineReadable), _vmdk.Bind(result));
}

/// <summary>How VMDKs are opened: <c>--ignore-cid</c>, <c>--allow-absolute-extents</c>, <c>--allow-truncated</c>.</summary>
internal sealed class VmdkOptionSet
{
    private readonly Option<bool> _ignoreCid = CliOptions.Flag("--ignore-cid", "accept a child whose parentCID differs from its parent's CID");
    private readonly Option<bool> _allowAbsolute = CliOptions.Flag("--allow-absolute-extents", "accept extent, parent and .vmx disk paths that are absolute, leave the VM folder through ../ or are links out of it");
    private readonly Option<bool> _allowTruncated = CliOptions.Flag("--allow-truncated", "read a streamOptimized VMDK that was cut short (what is after the cut reads as zeros; a warning, in the report too)");

    public void AddTo(Command command)
    {
        command.Options.Add(_ignoreCid);
        command.Options.Add(_allowAbsolute);
        command.Options.Add(_allowTruncated);
    }

    public VmdkOpenOptions Bind(ParseResult result) =>
        new() { IgnoreCid = result.GetValue(_ignoreCid), AllowAbsoluteExtents = result.GetValue(_allowAbsolute), AllowTruncated = result.GetValue(_allowTruncated) };
}
