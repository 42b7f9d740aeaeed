using V2VConverter.Guest.Inspection;
using V2VConverter.Pipeline.Documents;

using V2VConverter.Tests.Shared;

namespace V2VConverter.Pipeline.Tests.Documents;

/// <summary>
/// Pins the guest inspection's JSON (<c>guest</c> in <c>inspect --guest --json</c>, <c>guest.inspection</c> in the
/// report) as a whole document: the OS identity's keys stay at the top level, first, whatever shape
/// <see cref="GuestInspection"/> has (it holds an <see cref="OsIdentity"/>).
/// </summary>
public sealed class GuestInspectionSectionTests
{
    private static GuestInspection Sample(string? hostname = "deb12") => GuestInspectionSample.Sample(hostname);

    [Fact]
    public void Inspection_json_keeps_its_keys_and_values()
    {
        Assert.Equal(ExpectedJson, DocumentJson.Serialize(GuestInspectionSection.Of(Sample())).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_missing_hostname_is_written_as_null()
    {
        var expected = ExpectedJson.Replace("\"hostname\": \"deb12\",", "\"hostname\": null,", StringComparison.Ordinal);
        Assert.Equal(expected, DocumentJson.Serialize(GuestInspectionSection.Of(Sample(hostname: null))).ReplaceLineEndings("\n"));
    }

    private const string ExpectedJson = """
        {
          "root": "/dev/sda1",
          "osType": "linux",
          "distro": "debian",
          "productName": "Debian GNU/Linux 12 (bookworm)",
          "majorVersion": 12,
          "minorVersion": 4,
          "arch": "x86_64",
          "hostname": "deb12",
          "filesystems": [
            {
              "device": "/dev/sda1",
              "type": "ext4",
              "uuid": "0a1b",
              "label": null,
              "mountPoint": "/"
            },
            {
              "device": "/dev/sda2",
              "type": "swap",
              "uuid": null,
              "label": "SWAP",
              "mountPoint": null
            }
          ],
          "volumeGroups": [
            "vg0"
          ],
          "logicalVolumes": [
            "/dev/vg0/data"
          ],
          "packageFormat": "deb",
          "packageManager": "apt",
          "initramfsTool": "initramfs-tools",
          "bootloader": {
            "kind": "grub2",
            "configPath": "/boot/grub/grub.cfg",
            "defaultsPath": "/etc/default/grub",
            "deviceMapPath": null,
            "regenerateCommand": "/usr/sbin/grub-mkconfig -o /boot/grub/grub.cfg"
          },
          "kernels": [
            {
              "version": "6.1.0-18-amd64",
              "imagePath": "/boot/vmlinuz-6.1.0-18-amd64",
              "initrdPath": "/boot/initrd.img-6.1.0-18-amd64",
              "hasModules": true
            }
          ],
          "vmwareTools": {
            "flavour": "open-vm-tools",
            "packages": [
              "open-vm-tools"
            ],
            "uninstaller": null,
            "serviceLinks": [
              "/etc/systemd/system/multi-user.target.wants/open-vm-tools.service"
            ]
          },
          "network": {
            "systems": [
              "ifupdown"
            ],
            "interfaces": [
              {
                "name": "ens160",
                "macAddress": "00:0c:29:aa:bb:cc",
                "system": "ifupdown",
                "file": "/etc/network/interfaces"
              }
            ]
          },
          "hasSystemd": true,
          "warnings": [
            "kernel 5.10.0-1-amd64 has no /lib/modules/5.10.0-1-amd64"
          ],
          "version": "12.4"
        }
        """;
}
