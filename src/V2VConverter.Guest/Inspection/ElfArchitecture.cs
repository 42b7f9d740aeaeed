using System.Buffers.Binary;

namespace V2VConverter.Guest.Inspection;

/// <summary>
/// The architecture of an ELF binary from its header (the ELF specification's e_ident and e_machine),
/// named as libguestfs's <c>file_architecture</c> names it. Reading 20 bytes with one pread is a
/// daemon call of milliseconds; <c>file_architecture</c> runs file(1) in the appliance.
/// </summary>
public static class ElfArchitecture
{
    /// <summary>Bytes needed: e_ident (16) + e_type (2) + e_machine (2).</summary>
    public const int HeaderBytes = 20;

    private const int MagicOffset = 0;
    private const int ClassOffset = 4;      // EI_CLASS: 1 = 32-bit, 2 = 64-bit
    private const int DataOffset = 5;       // EI_DATA: 1 = little-endian, 2 = big-endian
    private const int MachineOffset = 18;   // e_machine
    private const byte Class64 = 2;
    private const byte BigEndian = 2;
    private static readonly byte[] Magic = [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    /// <summary>x86_64, i386, aarch64, arm, ppc64, ppc64le, ppc, s390x, s390, riscv64, riscv32, ... or null when it is not an ELF header it knows.</summary>
    public static string? FromHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderBytes || !header.Slice(MagicOffset, Magic.Length).SequenceEqual(Magic))
        {
            return null;
        }

        var is64 = header[ClassOffset] == Class64;
        var big = header[DataOffset] == BigEndian;
        var machine = big ? BinaryPrimitives.ReadUInt16BigEndian(header[MachineOffset..]) : BinaryPrimitives.ReadUInt16LittleEndian(header[MachineOffset..]);
        return machine switch
        {
            3 => "i386",
            62 => "x86_64",
            183 => "aarch64",
            40 => "arm",
            21 => big ? "ppc64" : "ppc64le",
            20 => "ppc",
            22 => is64 ? "s390x" : "s390",
            243 => is64 ? "riscv64" : "riscv32",
            2 => "sparc",
            43 => "sparc64",
            50 => "ia64",
            258 => "loongarch64",
            _ => null,
        };
    }
}
