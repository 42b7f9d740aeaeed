using System.Runtime.InteropServices;

namespace V2VConverter.Guest.Access;

/// <summary>Return-code checks with libguestfs's error text, and the marshalling of its strings and string lists.</summary>
public sealed partial class GuestfsSession
{
    private static string LastError(GuestfsHandle g) => Marshal.PtrToStringUTF8(NativeMethods.LastError(g)) ?? "unknown error";

    private static void Check(GuestfsHandle g, int rc, string what)
    {
        if (rc == -1)
        {
            throw new GuestfsException($"libguestfs {what}: {LastError(g)}");
        }
    }

    private int CheckInt(int rc, string what)
    {
        Check(Handle, rc, what);
        return rc;
    }

    private bool CheckBool(int rc, string what)
    {
        Check(Handle, rc, what);
        return rc != 0;
    }

    private string TakeString(IntPtr p, string what)
    {
        if (p == IntPtr.Zero)
        {
            throw new GuestfsException($"libguestfs {what}: {LastError(Handle)}");
        }

        try
        {
            return Marshal.PtrToStringUTF8(p) ?? "";
        }
        finally
        {
            NativeMethods.Free(p);
        }
    }

    private List<string> TakeList(IntPtr p, string what)
    {
        if (p == IntPtr.Zero)
        {
            throw new GuestfsException($"libguestfs {what}: {LastError(Handle)}");
        }

        var list = new List<string>();
        try
        {
            for (var i = 0; ; i++)
            {
                var s = Marshal.ReadIntPtr(p, i * IntPtr.Size);
                if (s == IntPtr.Zero)
                {
                    break;
                }

                list.Add(Marshal.PtrToStringUTF8(s) ?? "");
                NativeMethods.Free(s);
            }
        }
        finally
        {
            NativeMethods.Free(p);
        }

        return list;
    }

    private static List<(string, string)> Pairs(List<string> flat)
    {
        var r = new List<(string, string)>();
        for (var i = 0; i + 1 < flat.Count; i += 2)
        {
            r.Add((flat[i], flat[i + 1]));
        }

        return r;
    }

    /// <summary>Marshals a NULL-terminated char* array for the duration of one call.</summary>
    private static void WithStringArray(IReadOnlyList<string> items, Action<IntPtr> call)
    {
        var ptrs = new IntPtr[items.Count + 1];
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                ptrs[i] = Marshal.StringToCoTaskMemUTF8(items[i]);
            }

            var handle = GCHandle.Alloc(ptrs, GCHandleType.Pinned);
            try
            {
                call(handle.AddrOfPinnedObject());
            }
            finally
            {
                handle.Free();
            }
        }
        finally
        {
            foreach (var p in ptrs)
            {
                if (p != IntPtr.Zero)
                {
                    Marshal.FreeCoTaskMem(p);
                }
            }
        }
    }
}
