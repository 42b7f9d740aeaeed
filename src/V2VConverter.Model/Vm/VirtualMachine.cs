namespace V2VConverter.Model.Vm;

/// <summary>
/// The source VM as the pipeline sees it: every device a VMware VM can carry, independent of
/// where it was read from (.vmx file or vSphere API). Immutable; stages talk only through it.
/// </summary>
public sealed record VirtualMachine
{
    public required string Name { get; init; }

    /// <summary><c>uuid.bios</c>: becomes the domain uuid (and so the SMBIOS system UUID).</summary>
    public Guid? Uuid { get; init; }

    public string? Annotation { get; init; }

    public required GuestOs Guest { get; init; }

    /// <summary>Memory in MiB (<c>memsize</c>).</summary>
    public required long MemoryMiB { get; init; }

    public required CpuTopology Cpu { get; init; }

    public Firmware Firmware { get; init; } = Firmware.Bios;

    public bool SecureBoot { get; init; }

    /// <summary>The VM has a virtual TPM (<c>vtpm.present</c>): the domain gets an emulated TPM 2.0.</summary>
    public bool Tpm { get; init; }

    /// <summary>VMware virtual hardware version (<c>virtualHW.version</c>), 0 if unknown.</summary>
    public int HardwareVersion { get; init; }

    public IReadOnlyList<DiskController> Controllers { get; init; } = [];

    public IReadOnlyList<VirtualDisk> Disks { get; init; } = [];

    public IReadOnlyList<CdRom> CdRoms { get; init; } = [];

    public IReadOnlyList<Floppy> Floppies { get; init; } = [];

    public IReadOnlyList<NetworkAdapter> Nics { get; init; } = [];

    public IReadOnlyList<SerialPort> SerialPorts { get; init; } = [];

    public IReadOnlyList<ParallelPort> ParallelPorts { get; init; } = [];

    public Video? Video { get; init; }

    public Sound? Sound { get; init; }

    public IReadOnlyList<UsbController> UsbControllers { get; init; } = [];

    /// <summary><c>bios.bootOrder</c> entries in order ("hdd", "cdrom", "floppy", "ethernet0"...).</summary>
    public IReadOnlyList<string> BootOrder { get; init; } = [];

    /// <summary>Source devices that are not carried to KVM (host passthrough, client devices), with the reason.</summary>
    public IReadOnlyList<SkippedDevice> SkippedDevices { get; init; } = [];

    /// <summary>Where the VM was read from (a .vmx path or a vSphere URI).</summary>
    public string? Origin { get; init; }

    /// <summary>The folder against which relative disk file names were resolved.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>
    /// The firmware's variable store file, as the .vmx names it (<c>nvram</c>, relative to the VM's folder or a datastore
    /// path); for a UEFI VM without the key, VMware's default <c>NAME.nvram</c>. It holds the UEFI boot entries.
    /// </summary>
    public string? NvramFile { get; init; }

    public bool Is64Bit => Guest.Architecture == GuestArchitecture.X86_64;
}

public sealed record SkippedDevice(string Key, string Description, string Reason);

public sealed record CpuTopology(int VCpus, int CoresPerSocket)
{
    public int Sockets => CoresPerSocket > 0 && VCpus % CoresPerSocket == 0 ? VCpus / CoresPerSocket : VCpus;

    public int Cores => CoresPerSocket > 0 && VCpus % CoresPerSocket == 0 ? CoresPerSocket : 1;
}

public enum Firmware
{
    Bios,
    Efi,
}

public enum DiskBus
{
    Ide,
    Scsi,
    Sata,
    Nvme,
}

public enum ScsiModel
{
    None,
    LsiLogic,
    LsiSas1068,
    BusLogic,
    PvScsi,
    Unknown,
}

public sealed record DiskController(DiskBus Bus, int Index, ScsiModel Model = ScsiModel.None, string? RawModel = null, string? SharedBus = null);

public enum DiskMode
{
    Persistent,
    Nonpersistent,
    IndependentPersistent,
    IndependentNonpersistent,
    Undoable,
}

/// <summary>What a disk's file name resolved to on this machine.</summary>
public enum DiskFileState
{
    /// <summary>Not checked (remote source).</summary>
    Unknown,

    /// <summary>The file exists and starts like a VMDK (descriptor, KDMV or COWD).</summary>
    Present,

    /// <summary>The file is absent: listed anyway, with a warning.</summary>
    Missing,

    /// <summary>The file exists but is not a VMDK: listed with a warning, never read.</summary>
    NotAVmdk,
}

public sealed record VirtualDisk
{
    /// <summary>The VMX device key: <c>scsi0:1</c>, <c>sata0:0</c>...</summary>
    public required string Key { get; init; }

    public required DiskBus Bus { get; init; }

    public required int Controller { get; init; }

    public required int Unit { get; init; }

    /// <summary>The file name as written in the VMX.</summary>
    public required string FileName { get; init; }

    /// <summary>Absolute local path, when the source is a local folder.</summary>
    public string? ResolvedPath { get; init; }

    public DiskFileState FileState { get; init; } = DiskFileState.Unknown;

    public DiskMode Mode { get; init; } = DiskMode.Persistent;

    /// <summary>VMware datastore name when the file name has the <c>[datastore] path</c> form.</summary>
    public string? Datastore { get; init; }

    /// <summary>Virtual size in bytes, when known.</summary>
    public long? CapacityBytes { get; init; }

    /// <summary>Raw device mapping or other device-backed disk (not copyable).</summary>
    public bool IsRawDevice { get; init; }

    public string? WriteThrough { get; init; }

    /// <summary>How the disk's file is compressed inside its package (<c>gzip</c> for an OVF <c>ovf:compression="gzip"</c> reference), or null.</summary>
    public string? Compression { get; init; }
}

public enum MediaKind
{
    /// <summary>An image file (ISO or floppy image).</summary>
    Image,

    /// <summary>A host device (<c>/dev/cdrom</c>, <c>auto detect</c>).</summary>
    HostDevice,

    /// <summary>An empty drive.</summary>
    Empty,
}

public sealed record CdRom(string Key, DiskBus Bus, int Controller, int Unit, MediaKind Kind, string? FileName, string? ResolvedPath, bool StartConnected, bool ImageIsLocal);

public sealed record Floppy(int Index, MediaKind Kind, string? FileName, string? ResolvedPath, bool StartConnected, bool ImageIsLocal);

public enum MacAddressType
{
    Generated,
    Static,
    Vpx,
    None,
}

public sealed record NetworkAdapter
{
    public required int Index { get; init; }

    /// <summary><c>ethernetN.virtualDev</c> (vlance when absent, like VMware).</summary>
    public required string VirtualDev { get; init; }

    public string? NetworkName { get; init; }

    /// <summary><c>ethernetN.connectionType</c>: bridged, nat, hostonly, custom, pvn...</summary>
    public string? ConnectionType { get; init; }

    /// <summary><c>ethernetN.vnet</c> for connectionType custom.</summary>
    public string? Vnet { get; init; }

    /// <summary>Distributed switch port group key, when the NIC is on a vDS.</summary>
    public string? PortGroupKey { get; init; }

    public string? SwitchId { get; init; }

    public required MacAddressType AddressType { get; init; }

    /// <summary>Lower-case colon form, or null when the VMX carries none.</summary>
    public string? MacAddress { get; init; }

    public bool StartConnected { get; init; } = true;

    /// <summary><c>ethernetN.pciSlotNumber</c>: decides the guest's predictable NIC name (160 gives ens160).</summary>
    public int? PciSlotNumber { get; init; }
}

public enum CharDeviceKind
{
    HostDevice,
    File,
    Pipe,
    Network,
    Thinprint,
    Unknown,
}

public sealed record SerialPort(int Index, CharDeviceKind Kind, string? Target, string? PipeEnd, string? NetworkDirection, bool YieldOnPoll, bool StartConnected);

public sealed record ParallelPort(int Index, CharDeviceKind Kind, string? Target, bool StartConnected);

public sealed record Video(string Model, long VramKiB, int Displays, bool Accel3D);

public sealed record Sound(string VirtualDev);

public enum UsbKind
{
    Uhci,
    Ehci,
    Xhci,
}

public sealed record UsbController(UsbKind Kind);
