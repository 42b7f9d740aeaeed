namespace V2VConverter.Model.Vm;

/// <summary>
/// One boot option (<c>Boot####</c>) of a source VM's firmware variable store, decoded from its EFI_LOAD_OPTION.
/// </summary>
/// <param name="Number">The option's number: 1 for <c>Boot0001</c>.</param>
/// <param name="Description">The option's description ("debian", "Windows Boot Manager", "EFI VMware Virtual SCSI Hard Drive (0.0)").</param>
/// <param name="Active">LOAD_OPTION_ACTIVE is set.</param>
/// <param name="FilePath">The file the option loads, as its device path's media file path names it (<c>\EFI\debian\shimx64.efi</c>); null when the path names a device only.</param>
/// <param name="Partition">The hard-drive node's partition number (1 for the first partition); null without one.</param>
/// <param name="PartitionGuid">The hard-drive node's GPT partition GUID; null for an MBR partition or without one.</param>
public sealed record UefiBootEntry(int Number, string Description, bool Active, string? FilePath, int? Partition, Guid? PartitionGuid)
{
    /// <summary>The variable's name: <c>Boot0001</c>.</summary>
    public string Name => $"Boot{Number:X4}";

    /// <summary>
    /// The entry as an EFI_LOAD_OPTION for a new machine: the same attributes, description and optional data, its device
    /// path cut to start at the hard-drive node (<c>HD(1,GPT,guid,...)/\EFI\debian\shimx64.efi</c>), which firmware matches
    /// by partition signature on whatever controller the disk sits on now. Null when the path has no hard-drive node.
    /// </summary>
    public byte[]? PortableLoadOption { get; init; }

    /// <summary>The entry names a file on a disk partition (what a converted guest can boot), not a device or the firmware's own shell.</summary>
    public bool LoadsFile => FilePath is not null && Partition is not null;
}

/// <summary>What a source VM's firmware variable store says about booting (VMware's <c>NAME.nvram</c>).</summary>
/// <param name="Origin">Where it was read: a local path or a datastore path.</param>
/// <param name="Entries">Every <c>Boot####</c> option, by number.</param>
/// <param name="BootOrder">The <c>BootOrder</c> variable: option numbers, first tried first (empty when the store has none).</param>
public sealed record UefiBootState(string Origin, IReadOnlyList<UefiBootEntry> Entries, IReadOnlyList<int> BootOrder)
{
    /// <summary>The entries in the order the firmware tries them: BootOrder first, then any others by number.</summary>
    public IReadOnlyList<UefiBootEntry> Ordered =>
        BootOrder.Select(n => Entries.FirstOrDefault(e => e.Number == n)).OfType<UefiBootEntry>()
            .Concat(Entries.Where(e => !BootOrder.Contains(e.Number)).OrderBy(e => e.Number))
            .ToList();
}
