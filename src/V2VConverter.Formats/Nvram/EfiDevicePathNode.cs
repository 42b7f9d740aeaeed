namespace V2VConverter.Formats.Nvram;

/// <summary>Type and subtype numbers of the device path nodes the reader decodes (UEFI spec 2.x, chapter 10).</summary>
public static class EfiDevicePathTypes
{
    public const byte Hardware = 0x01;
    public const byte Acpi = 0x02;
    public const byte Messaging = 0x03;
    public const byte Media = 0x04;
    public const byte End = 0x7F;

    public const byte MediaHardDrive = 0x01;
    public const byte MediaFilePath = 0x04;
    public const byte EndEntire = 0xFF;
    public const byte EndInstance = 0x01;
}

/// <summary>One node of a device path: the 4-byte header's type and subtype, then <see cref="Data"/> (Length - 4 bytes).</summary>
public readonly record struct EfiDevicePathNode(byte Type, byte SubType, byte[] Data)
{
    /// <summary>Header: u8 Type, u8 SubType, u16 Length (the whole node, header included).</summary>
    public const int HeaderSize = 4;

    public const int TypeOffset = 0;
    public const int SubTypeOffset = 1;
    public const int LengthOffset = 2;

    public bool IsEnd => Type == EfiDevicePathTypes.End;

    public bool IsHardDrive => Type == EfiDevicePathTypes.Media && SubType == EfiDevicePathTypes.MediaHardDrive;

    public bool IsFilePath => Type == EfiDevicePathTypes.Media && SubType == EfiDevicePathTypes.MediaFilePath;
}
