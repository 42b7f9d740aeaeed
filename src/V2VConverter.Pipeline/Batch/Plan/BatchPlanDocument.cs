namespace V2VConverter.Pipeline.Batch.Plan;

/// <summary>
/// A batch plan as people read and edit it (YAML, camelCase keys): where the VMs come from, where they go, the global
/// mappings, then one entry per VM with its target name, its NIC and disk choices (and the rule behind each) and its
/// concerns. <c>v2v plan</c> writes it, <c>v2v plan --check</c> validates an edited copy, <c>v2v run</c> executes it.
/// </summary>
public sealed class BatchPlanDocument
{
    /// <summary>The current <see cref="SchemaVersion"/>; a plan from a newer version is refused.</summary>
    public const int CurrentSchema = 1;

    public int SchemaVersion { get; set; } = CurrentSchema;

    /// <summary>When the plan was made (UTC, ISO 8601), for people.</summary>
    public string? Created { get; set; }

    public PlanSource Source { get; set; } = new();

    public PlanOutput Output { get; set; } = new();

    public PlanMappings Mappings { get; set; } = new();

    public List<PlanVm> Vms { get; set; } = [];
}

/// <summary>Where the VMs come from.</summary>
public sealed class PlanSource
{
    /// <summary>"vsphere" (an esx:// or vpx:// URI) or "folder" (a folder searched for .vmx files).</summary>
    public string Kind { get; set; } = "folder";

    /// <summary>The URI or the folder, as given to <c>v2v plan</c> (a folder made absolute).</summary>
    public string Location { get; set; } = "";

    public string? PasswordFile { get; set; }

    public string? Thumbprint { get; set; }

    public int? TimeoutSeconds { get; set; }
}

/// <summary>Where the VMs go (<c>-o</c>, <c>-os</c>, <c>-oc</c>, <c>-of</c>...).</summary>
public sealed class PlanOutput
{
    /// <summary>"local" or "libvirt".</summary>
    public string Mode { get; set; } = "local";

    /// <summary>-o local: the folder; -o libvirt: the default pool.</summary>
    public string? Storage { get; set; }

    /// <summary>-oc: the libvirt connection URI.</summary>
    public string? Connection { get; set; }

    /// <summary>qcow2 or raw.</summary>
    public string? Format { get; set; }

    public bool Compress { get; set; }

    /// <summary>-o libvirt: start each domain once defined.</summary>
    public bool Start { get; set; }

    /// <summary>false: copy only (--no-guest-fixups), compatibility devices: the default of every VM's own guestFixups.</summary>
    public bool GuestFixups { get; set; } = true;
}

/// <summary>The mapping options every VM of the plan shares, as given to <c>v2v plan</c>.</summary>
public sealed class PlanMappings
{
    public List<string> Bridges { get; set; } = [];

    public List<string> Networks { get; set; } = [];

    /// <summary>--set KEY=VALUE.</summary>
    public List<string> Set { get; set; } = [];

    /// <summary>--mapping FILE (absolute paths).</summary>
    public List<string> MappingFiles { get; set; } = [];

    public string? Config { get; set; }

    public string? MappingsDir { get; set; }

    public string? Templates { get; set; }

    public string? Tuning { get; set; }

    public bool KeepHostDevices { get; set; }
}

/// <summary>One VM of the plan. Edit <see cref="Target"/>, <see cref="Skip"/>, a NIC's or a disk's choice, or a concern's severity.</summary>
public sealed class PlanVm
{
    /// <summary>Unique in the plan and a safe file name: the journal and the log file use it. Do not edit.</summary>
    public string Id { get; set; } = "";

    /// <summary>The VM's name at the source.</summary>
    public string Name { get; set; } = "";

    /// <summary>vsphere: the datastore path of its .vmx; folder: the .vmx path.</summary>
    public string Source { get; set; } = "";

    /// <summary>vsphere: the managed object id (vm-42), which tells two VMs of the same name apart.</summary>
    public string? Ref { get; set; }

    public string? Folder { get; set; }

    /// <summary>The source host (the --per-host bound counts VMs per host).</summary>
    public string Host { get; set; } = "local";

    public string? PowerState { get; set; }

    /// <summary>The guest OS as the source names it, for people.</summary>
    public string? Guest { get; set; }

    /// <summary>bios, efi, or efi+secureboot.</summary>
    public string Firmware { get; set; } = "bios";

    /// <summary>The target domain name (and the output file names). Edit to rename.</summary>
    public string Target { get; set; } = "";

    /// <summary>true: leave this VM out of the run.</summary>
    public bool Skip { get; set; }

    /// <summary>false: copy only, compatibility devices (as --no-guest-fixups); the plan's output.guestFixups by default.</summary>
    public bool GuestFixups { get; set; } = true;

    public List<PlanNic> Nics { get; set; } = [];

    public List<PlanDisk> Disks { get; set; } = [];

    public List<PlanConcern> Concerns { get; set; } = [];
}

/// <summary>A NIC and where it goes.</summary>
public sealed class PlanNic
{
    /// <summary>The VMX ethernetN index. Do not edit.</summary>
    public int Index { get; set; }

    /// <summary>The source network (port group, vnet, connection type).</summary>
    public string? Network { get; set; }

    public string? Mac { get; set; }

    /// <summary>The NIC model the plan chose (virtio, e1000...), for people.</summary>
    public string? Model { get; set; }

    /// <summary>bridge:NAME or network:NAME. Edit to move the NIC.</summary>
    public string Target { get; set; } = "";

    /// <summary>The rule that chose <see cref="Target"/> ("batch plan" once edited... the plan keeps what the planner said).</summary>
    public string? Rule { get; set; }
}

/// <summary>A disk and where it goes.</summary>
public sealed class PlanDisk
{
    /// <summary>The VMX slot (scsi0:0). Do not edit.</summary>
    public string Key { get; set; } = "";

    public string File { get; set; } = "";

    public long? CapacityBytes { get; set; }

    /// <summary>The bytes the copy is expected to write (the source's allocated data, snapshots flattened).</summary>
    public long? DataBytes { get; set; }

    /// <summary>-o local: the folder; -o libvirt: the pool. Edit to move the disk.</summary>
    public string Storage { get; set; } = "";

    public string? Rule { get; set; }
}

/// <summary>A concern found while planning. Change a blocker's severity to "accepted" to run the VM anyway.</summary>
public sealed class PlanConcern
{
    /// <summary>info, warning, blocker, accepted.</summary>
    public string Severity { get; set; } = "info";

    public string Code { get; set; } = "";

    public string Message { get; set; } = "";

    public string? Fix { get; set; }
}
