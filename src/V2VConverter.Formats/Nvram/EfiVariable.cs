namespace V2VConverter.Formats.Nvram;

/// <summary>One UEFI variable of a firmware variable store.</summary>
/// <param name="VendorGuid">The vendor namespace (<see cref="VmwareNvram.EfiGlobalVariable"/> for <c>Boot####</c>, <c>BootOrder</c>...).</param>
/// <param name="Name">The variable's name, without its NUL terminator.</param>
/// <param name="Attributes">EFI_VARIABLE_* bits: non-volatile 0x1, boot-service 0x2, runtime 0x4.</param>
/// <param name="Data">The value.</param>
public sealed record EfiVariable(Guid VendorGuid, string Name, uint Attributes, byte[] Data);
