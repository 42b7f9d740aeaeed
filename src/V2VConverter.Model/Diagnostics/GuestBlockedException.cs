namespace V2VConverter.Model.Diagnostics;

/// <summary>
/// The guest must not be converted as it is (hibernated, BitLocker, a pending reboot, dynamic disks): the conversion stops
/// before the guest is changed, and no output keeps its final name. <c>--force</c> converts anyway. Exit code <see cref="ExitCodes.Blocked"/>.
/// </summary>
public sealed class GuestBlockedException(string message) : Exception(message);
