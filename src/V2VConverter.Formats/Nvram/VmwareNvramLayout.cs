namespace V2VConverter.Formats.Nvram;

/// <summary>
/// Layout of VMware's <c>NAME.nvram</c>, little-endian. The file opens with <c>MRVN</c> + u32 version and firmware
/// state (CMOS...) of no fixed size; the EFI variable region starts at <see cref="RegionSignature"/>, found by search.
/// </summary>
internal static class VmwareNvramLayout
{
    /// <summary>The 8-byte ASCII signature that opens the EFI variable region.</summary>
    public static ReadOnlySpan<byte> RegionSignature => "VMWNVRAM"u8;

    // The region header, from the signature: signature, u32 0 (version/flags), u32 region length (header + records).
    public const int RegionSignatureOffset = 0;
    public const int RegionVersion = 8;
    public const int RegionLength = 12;
    public const int RegionHeaderSize = 16;

    // One record, packed back to back with the next: guid, attributes, total_len (name + data), name_len, name, data.
    public const int RecordGuid = 0;
    public const int RecordAttributes = 16;
    public const int RecordTotalLength = 20;
    public const int RecordNameLength = 24;
    public const int RecordHeaderSize = 28;

    public const int GuidSize = 16;

    /// <summary>Bounds of name_len: bytes of UTF-16LE including the NUL.</summary>
    public const int MinNameBytes = 2;

    public const int MaxNameBytes = 1024;
}
