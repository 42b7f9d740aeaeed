using System.Runtime.InteropServices;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>
/// libvirt's error reporting, set up once per process: a no-op global error handler (<c>virSetErrorFunc</c>) so libvirt
/// never prints "libvirt: error : ..." to stderr, and the calling thread's last error (<c>virGetLastError</c>, which is
/// thread-local) turned into a <see cref="LibvirtException"/> and then reset.
/// </summary>
internal static class LibvirtErrors
{
    private static readonly Lock Gate = new();
    private static bool _initialized;

    /// <summary>
    /// Loads libvirt.so.0, installs the handler, calls virInitialize and starts libvirt's default event loop on a
    /// background thread. Idempotent and thread-safe.
    /// </summary>
    internal static unsafe void EnsureInitialized()
    {
        lock (Gate)
        {
            if (_initialized)
            {
                return;
            }

            try
            {
                LibvirtNative.SetErrorFunc(IntPtr.Zero, &IgnoreError);
                if (LibvirtNative.Initialize() < 0)
                {
                    throw Last("initializing libvirt");
                }

                // An event loop, as virsh runs one: without it a remote connection has no keepalive, and a call on a
                // connection whose peer vanished (host down, network cut) would block forever.
                if (LibvirtNative.EventRegisterDefaultImpl() < 0)
                {
                    throw Last("registering libvirt's event loop");
                }

                new Thread(RunEventLoop) { IsBackground = true, Name = "libvirt event loop" }.Start();
            }
            catch (DllNotFoundException e)
            {
                throw new LibvirtException($"libvirt: {LibvirtNative.Lib} cannot be loaded (install libvirt0): {OneLine(e.Message)}", inner: e);
            }

            _initialized = true;
        }
    }

    /// <summary>True once the handler is installed (tests check it).</summary>
    internal static bool HandlerInstalled
    {
        get
        {
            lock (Gate)
            {
                return _initialized;
            }
        }
    }

    private static void RunEventLoop()
    {
        while (true)
        {
            if (LibvirtNative.EventRunDefaultImpl() < 0)
            {
                LibvirtNative.ResetLastError();
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Installs the handler again (tests that put libvirt's default back for a control run).</summary>
    internal static unsafe void Reinstall() => LibvirtNative.SetErrorFunc(IntPtr.Zero, &IgnoreError);

    [UnmanagedCallersOnly]
    private static void IgnoreError(IntPtr userData, IntPtr error)
    {
        // The error stays readable through virGetLastError; printing it is what we suppress.
    }

    /// <summary>
    /// The calling thread's last libvirt error as an exception "libvirt: WHAT: MESSAGE" (the error is then reset).
    /// Call it right after the failed call, on the same thread.
    /// </summary>
    internal static LibvirtException Last(string what)
    {
        var p = LibvirtNative.GetLastError();
        if (p == IntPtr.Zero)
        {
            return new LibvirtException($"libvirt: {what}: failed without an error message");
        }

        var head = Marshal.PtrToStructure<LibvirtNative.ErrorHead>(p);
        var message = LibvirtNative.PeekString(head.Message);
        LibvirtNative.ResetLastError();
        return new LibvirtException($"libvirt: {what}: {OneLine(message ?? "unknown error")}", head.Code, head.Domain);
    }

    /// <summary>Throws <see cref="Last"/> when <paramref name="rc"/> is negative; returns it otherwise.</summary>
    internal static int Check(int rc, string what) => rc < 0 ? throw Last(what) : rc;

    /// <summary>Throws <see cref="Last"/> when a returned handle is NULL (disposing it).</summary>
    internal static T Check<T>(T handle, string what)
        where T : SafeHandle
    {
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw Last(what);
        }

        return handle;
    }

    /// <summary>
    /// A lookup: the handle, or null when libvirt says the object does not exist (any other failure throws).
    /// </summary>
    internal static T? Lookup<T>(T handle, string what)
        where T : SafeHandle
    {
        if (!handle.IsInvalid)
        {
            return handle;
        }

        handle.Dispose();
        var e = Last(what);
        return e.IsNotFound ? null : throw e;
    }

    /// <summary>libvirt messages may hold the stderr of a helper (ssh, qemu): one line, runs of whitespace collapsed.</summary>
    internal static string OneLine(string s)
    {
        var parts = s.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(' ', parts);
    }

    /// <summary>For messages: <c>'name'</c>.</summary>
    internal static string Quote(string name) => "'" + name + "'";
}
