namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>
/// A failed libvirt call. The message is one line, <c>libvirt: WHAT on URI: LIBVIRT'S MESSAGE</c>, naming the operation
/// and the object (pool, volume, domain ...) and the connection; <see cref="Code"/> and <see cref="ErrorDomain"/> are
/// libvirt's virErrorNumber and virErrorDomain (virterror.h), so callers can tell "not found" (<see cref="IsNotFound"/>)
/// from a real failure. An I/O error: the CLI reports it as one line like any other I/O failure.
/// </summary>
public sealed class LibvirtException : IOException
{
    // virErrorNumber values (virterror.h; stable, additions only at the end).
    public const int ErrNoSupport = 3;
    public const int ErrInvalidArg = 8;
    public const int ErrOperationFailed = 9;
    public const int ErrXmlError = 27;
    public const int ErrDomainExists = 28;
    public const int ErrXmlDetail = 35;
    public const int ErrSystemError = 38;
    public const int ErrRpc = 39;
    public const int ErrNoDomain = 42;
    public const int ErrNoNetwork = 43;
    public const int ErrAuthFailed = 45;
    public const int ErrNoStoragePool = 49;
    public const int ErrNoStorageVol = 50;
    public const int ErrNoNodeDevice = 53;
    public const int ErrOperationInvalid = 55;
    public const int ErrNoInterface = 57;
    public const int ErrStorageVolExists = 90;

    public LibvirtException(string message, int code = 0, int errorDomain = 0, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        ErrorDomain = errorDomain;
    }

    /// <summary>libvirt's virErrorNumber (0 when the error did not come from libvirt).</summary>
    public int Code { get; }

    /// <summary>libvirt's virErrorDomain: which part of libvirt raised it (18 storage, 10 qemu, 7 rpc ...).</summary>
    public int ErrorDomain { get; }

    /// <summary>The object named does not exist (no such domain, network, storage pool, volume, interface, node device).</summary>
    public bool IsNotFound => Code is ErrNoDomain or ErrNoNetwork or ErrNoStoragePool or ErrNoStorageVol or ErrNoNodeDevice or ErrNoInterface;

    /// <summary>"libvirt: storage pool 'x' not found on URI": the message for a check that wants the object to exist.</summary>
    public static LibvirtException NotFound(string what, string uri, int code) => new($"libvirt: {what} not found on {uri}", code);
}
