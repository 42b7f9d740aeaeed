namespace V2VConverter.Guest.Access;

/// <summary>
/// Checks whether KVM actually works before a 15-second appliance launch depends on it: /dev/kvm
/// must open read-write, report API version 12 and create a VM. (A /dev/kvm that exists but fails,
/// as in nested or restricted containers, is the case this catches.)
/// </summary>
public static class KvmProbe
{
    private const string Device = "/dev/kvm";
    private const int ORdWr = 2;
    private const int OCloExec = 0x80000;
    private const nuint KvmGetApiVersion = 0xAE00;
    private const nuint KvmCreateVm = 0xAE01;
    private const int KvmApiVersion = 12;

    /// <summary>(true, "") when KVM is usable; otherwise false and why.</summary>
    public static (bool Usable, string Reason) Check()
    {
        if (!File.Exists(Device))
        {
            return (false, $"{Device} does not exist");
        }

        var fd = NativeMethods.Open(Device, ORdWr | OCloExec);
        if (fd < 0)
        {
            return (false, $"{Device} cannot be opened read-write (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }

        try
        {
            var v = NativeMethods.Ioctl(fd, KvmGetApiVersion, 0);
            if (v != KvmApiVersion)
            {
                return (false, $"{Device} KVM_GET_API_VERSION returned {v}, expected {KvmApiVersion}");
            }

            var vm = NativeMethods.Ioctl(fd, KvmCreateVm, 0);
            if (vm < 0)
            {
                return (false, $"{Device} KVM_CREATE_VM failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
            }

            NativeMethods.CloseFd(vm);
            return (true, "");
        }
        finally
        {
            NativeMethods.CloseFd(fd);
        }
    }
}
