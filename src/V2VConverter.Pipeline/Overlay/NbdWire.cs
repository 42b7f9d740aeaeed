namespace V2VConverter.Pipeline.Overlay;

/// <summary>The wire constants of the NBD protocol (all big-endian on the wire).</summary>
internal static class NbdWire
{
    public const ulong InitMagic = 0x4e42444d41474943;        // "NBDMAGIC"
    public const ulong OptionMagic = 0x49484156454F5054;      // "IHAVEOPT"
    public const ulong ReplyMagic = 0x3e889045565a9;
    public const uint RequestMagic = 0x25609513;
    public const uint SimpleReplyMagic = 0x67446698;

    public const ushort FlagFixedNewstyle = 1 << 0;
    public const ushort FlagNoZeroes = 1 << 1;
    public const uint ClientFlagsKnown = FlagFixedNewstyle | FlagNoZeroes;

    public const uint OptExportName = 1;
    public const uint OptAbort = 2;
    public const uint OptList = 3;
    public const uint OptInfo = 6;
    public const uint OptGo = 7;

    public const uint RepAck = 1;
    public const uint RepServer = 2;
    public const uint RepInfo = 3;
    public const uint RepErrUnsup = 0x80000001;
    public const uint RepErrInvalid = 0x80000003;
    public const uint RepErrUnknown = 0x80000006;

    public const ushort InfoExport = 0;
    public const ushort InfoBlockSize = 3;

    public const ushort TransHasFlags = 1 << 0;
    public const ushort TransSendFlush = 1 << 2;
    public const ushort TransSendTrim = 1 << 5;
    public const ushort TransSendWriteZeroes = 1 << 6;
    public const ushort TransmissionFlags = TransHasFlags | TransSendFlush | TransSendTrim | TransSendWriteZeroes;

    public const ushort CmdFlagFua = 1 << 0;
    public const ushort CmdFlagNoHole = 1 << 1;

    public const ushort CmdRead = 0;
    public const ushort CmdWrite = 1;
    public const ushort CmdDisc = 2;
    public const ushort CmdFlush = 3;
    public const ushort CmdTrim = 4;
    public const ushort CmdWriteZeroes = 6;

    public const uint EIO = 5;
    public const uint EINVAL = 22;
    public const uint ENOSPC = 28;

    /// <summary>The largest option data accepted during the handshake (an export name is at most 4096 bytes).</summary>
    public const int MaxOptionLength = 16 * 1024;

    /// <summary>magic(4) flags(2) type(2) handle(8) offset(8) length(4).</summary>
    public const int RequestLength = 28;

    /// <summary>magic(4) error(4) handle(8).</summary>
    public const int SimpleReplyLength = 16;

    /// <summary>magic(8) option(4) length(4).</summary>
    public const int OptionHeaderLength = 16;

    /// <summary>magic(8) option(4) type(4) length(4).</summary>
    public const int OptionReplyHeaderLength = 20;
}
