namespace V2VConverter.TestSupport;

/// <summary>The .vmx of a small test VM: one disk on an LSI Logic or PVSCSI bus, one vmxnet3 NIC on "VM Network", plus any extra lines.</summary>
public static class SmallVmx
{
    public static string Text(string displayName, string disk, string guestOs = "debian12-64", string mac = "00:0c:29:aa:bb:cc", string scsi = "lsilogic", string extra = "") => $"""
        config.version = "8"
        virtualHW.version = "19"
        displayName = "{displayName}"
        guestOS = "{guestOs}"
        memSize = "512"
        numvcpus = "1"
        scsi0.present = "TRUE"
        scsi0.virtualDev = "{scsi}"
        scsi0:0.present = "TRUE"
        scsi0:0.fileName = "{disk}"
        ethernet0.present = "TRUE"
        ethernet0.virtualDev = "vmxnet3"
        ethernet0.networkName = "VM Network"
        ethernet0.addressType = "generated"
        ethernet0.generatedAddress = "{mac}"
        {extra}

        """;
}
