using Serilog;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Vmx;

namespace V2VConverter.Sources.VSphere;

/// <summary>
/// The source model of a vSphere VM. Choice (issue 5 point 5): the VM's own <c>.vmx</c>, fetched
/// through <c>/folder</c>, goes through the same <see cref="VmxSource"/> as a local .vmx, so
/// <c>inspect</c>/<c>xml</c> give the same model for both. The inventory's
/// <c>config.hardware</c> is kept only to cross-check (tests prove the two agree) and to name
/// disk files on the datastore: disk file names relative to the .vmx folder get the .vmx's
/// datastore.
/// </summary>
public static class VSphereModel
{
    public static VirtualMachine ToModel(VSphereVm vm, ILogger log, VmxSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (vm.VmxBytes.Length == 0)
        {
            throw new InvalidDataException($"{vm.VmxPath}: the .vmx of VM {vm.Name} is empty");
        }

        var model = VmxSource.FromBytes(vm.VmxBytes, vm.VmxPath.ToString(), null, log, options ?? new VmxSourceOptions { ProbeLocalFiles = false });
        var disks = model.Disks.Select(d => d.Datastore is not null ? d : d with
        {
            Datastore = vm.DatastoreName,
            CapacityBytes = d.CapacityBytes ?? CapacityFromInventory(vm, d),
        }).ToArray();
        return model with { Disks = disks, Origin = vm.VmxPath.ToString() };
    }

    /// <summary>The datastore path of a model disk: "[ds] dir/file" for names relative to the .vmx folder.</summary>
    public static DatastorePath DatastorePathOf(VSphereVm vm, VirtualDisk disk)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(disk);
        return DatastorePathOf(vm, disk.FileName, $"{vm.Name} {disk.Key}.fileName");
    }

    /// <summary>The datastore path of a file the .vmx names (a disk, the NVRAM): "[ds] dir/file" for names relative to the .vmx folder.</summary>
    /// <param name="field">The .vmx key, for messages ("web disk scsi0:0.fileName").</param>
    public static DatastorePath DatastorePathOf(VSphereVm vm, string fileName, string field)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(fileName);
        if (fileName.StartsWith('['))
        {
            return DatastorePath.Parse(fileName, field);
        }

        if (fileName.StartsWith('/'))
        {
            throw new NotSupportedException($"{field} \"{fileName}\" is an absolute host path; only datastore paths can be downloaded");
        }

        var dir = vm.VmxPath.Directory;
        return new DatastorePath(vm.DatastoreName, dir.Length == 0 ? fileName : dir + "/" + fileName);
    }

    private static long? CapacityFromInventory(VSphereVm vm, VirtualDisk disk)
    {
        var path = DatastorePathOf(vm, disk).ToString();
        return vm.Info.Disks.FirstOrDefault(d => d.FileName == path) is { CapacityBytes: > 0 } hw ? hw.CapacityBytes : null;
    }
}
