using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Guest.Access;

/// <summary>
/// A libguestfs handle (<c>guestfs_h*</c>). Releasing it calls <c>guestfs_close</c>, which also stops a
/// still-running appliance; <see cref="GuestfsSession"/> shuts the appliance down itself first.
/// </summary>
internal sealed class GuestfsHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller (<see cref="NativeMethods.Create"/>).</summary>
    public GuestfsHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.Close(handle);
        return true;
    }
}
