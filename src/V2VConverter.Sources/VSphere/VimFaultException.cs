namespace V2VConverter.Sources.VSphere;

/// <summary>
/// A SOAP fault returned by a vSphere server: <see cref="FaultType"/> is the vim25 fault name
/// (<c>InvalidLogin</c>, <c>ManagedObjectNotFound</c>, <c>NotAuthenticated</c>...). It is an
/// <see cref="IOException"/>: the remote side refused, exit code 1.
/// </summary>
public sealed class VimFaultException(string faultType, string message, Exception? inner = null) : IOException(message, inner)
{
    public string FaultType { get; } = faultType;
}
