using Microsoft.Extensions.Configuration;
using V2VConverter.Mapping.Config;

namespace V2VConverter.Pipeline.Batch.Concerns;

/// <summary>
/// The OVMF files a converted UEFI domain names (the firmware mapping, <c>firmware:efi</c> and
/// <c>firmware:efiSecure</c>: the loader and its variable-store template), so the probe checks exactly the files the
/// domain XML will point at.
/// </summary>
public sealed record OvmfFiles(string Code, string Vars, string SecureBootCode, string SecureBootVars)
{
    /// <summary>The files of the built-in firmware mapping (Debian's ovmf package).</summary>
    public static OvmfFiles Default { get; } = From(
        new ConfigurationBuilder().AddJsonStream(MappingConfiguration.OpenEmbedded("firmware.json")).Build(), "(built-in) mappings/firmware.json");

    /// <summary>The files of loaded mapping rules (after virt-v2v.conf and --mapping overrides).</summary>
    public static OvmfFiles From(IConfiguration rules, string origin = "mapping rules")
    {
        ArgumentNullException.ThrowIfNull(rules);
        string Get(string key) => rules[key] is { Length: > 0 } v ? v : throw new InvalidDataException($"{origin}: {key} is not set");
        return new OvmfFiles(Get("firmware:efi:loader"), Get("firmware:efi:nvramTemplate"), Get("firmware:efiSecure:loader"), Get("firmware:efiSecure:nvramTemplate"));
    }

    /// <summary>The plain UEFI loader and its template exist on this machine.</summary>
    public bool Installed => File.Exists(Code) && File.Exists(Vars);

    /// <summary>The Secure Boot loader and its template exist on this machine.</summary>
    public bool SecureBootInstalled => File.Exists(SecureBootCode) && File.Exists(SecureBootVars);
}
