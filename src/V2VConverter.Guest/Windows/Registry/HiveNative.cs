using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Guest.Windows.Registry;

/// <summary>
/// The part of hivex's C API (hivex(3), <c>libhivex.so.0</c>) that <see cref="Hive"/> uses.
/// Node and value handles (<c>hive_node_h</c>, <c>hive_value_h</c>) are <c>size_t</c> offsets, 0 meaning none.
/// Returned <c>char*</c> and handle arrays are malloc'd and freed with free(3) (<see cref="NativeMemory.Free"/>).
/// Errors: -1, 0 or NULL with errno set, read with <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static partial class HiveNative
{
    private const string Lib = "libhivex.so.0";

    /// <summary>HIVEX_OPEN_WRITE: open for writing (the changes reach the file only on commit).</summary>
    internal const int OpenWrite = 4;

    /// <summary>struct hive_set_value { char *key; hive_type t; size_t len; char *value; }.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SetValueArg
    {
        public IntPtr Key;
        public int Type;
        public nuint Length;
        public IntPtr Value;
    }

    [LibraryImport(Lib, EntryPoint = "hivex_open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial Handle Open(string filename, int flags);

    /// <summary>Only for <see cref="Handle.ReleaseHandle"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "hivex_close")]
    internal static partial int Close(IntPtr h);

    [LibraryImport(Lib, EntryPoint = "hivex_root", SetLastError = true)]
    internal static partial nuint Root(Handle h);

    [LibraryImport(Lib, EntryPoint = "hivex_node_name", SetLastError = true)]
    internal static partial IntPtr NodeName(Handle h, nuint node);

    [LibraryImport(Lib, EntryPoint = "hivex_node_nr_children", SetLastError = true)]
    internal static partial nuint NodeNrChildren(Handle h, nuint node);

    [LibraryImport(Lib, EntryPoint = "hivex_node_children", SetLastError = true)]
    internal static partial IntPtr NodeChildren(Handle h, nuint node);

    /// <summary>Case-insensitive; 0 with errno 0 when there is no such child.</summary>
    [LibraryImport(Lib, EntryPoint = "hivex_node_get_child", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial nuint NodeGetChild(Handle h, nuint node, string name);

    [LibraryImport(Lib, EntryPoint = "hivex_node_nr_values", SetLastError = true)]
    internal static partial nuint NodeNrValues(Handle h, nuint node);

    [LibraryImport(Lib, EntryPoint = "hivex_node_values", SetLastError = true)]
    internal static partial IntPtr NodeValues(Handle h, nuint node);

    /// <summary>Case-insensitive, "" is the default value; 0 with errno 0 when there is no such value.</summary>
    [LibraryImport(Lib, EntryPoint = "hivex_node_get_value", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial nuint NodeGetValue(Handle h, nuint node, string key);

    [LibraryImport(Lib, EntryPoint = "hivex_value_key", SetLastError = true)]
    internal static partial IntPtr ValueKey(Handle h, nuint value);

    [LibraryImport(Lib, EntryPoint = "hivex_value_type", SetLastError = true)]
    internal static partial int ValueType(Handle h, nuint value, out int type, out nuint length);

    [LibraryImport(Lib, EntryPoint = "hivex_value_value", SetLastError = true)]
    internal static partial IntPtr ValueValue(Handle h, nuint value, out int type, out nuint length);

    /// <summary>Writes the hive to <paramref name="filename"/>, or over the file it was opened from when null.</summary>
    [LibraryImport(Lib, EntryPoint = "hivex_commit", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Commit(Handle h, string? filename, int flags);

    [LibraryImport(Lib, EntryPoint = "hivex_node_add_child", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial nuint NodeAddChild(Handle h, nuint parent, string name);

    /// <summary>Deletes the node itself and everything below it; the root cannot be deleted.</summary>
    [LibraryImport(Lib, EntryPoint = "hivex_node_delete_child", SetLastError = true)]
    internal static partial int NodeDeleteChild(Handle h, nuint node);

    /// <summary>Sets one value, replacing a value of the same name and keeping the others.</summary>
    [LibraryImport(Lib, EntryPoint = "hivex_node_set_value", SetLastError = true)]
    internal static partial int NodeSetValue(Handle h, nuint node, in SetValueArg value, int flags);

    /// <summary>Replaces ALL the values of a node with these (the only way hivex deletes a value).</summary>
    [LibraryImport(Lib, EntryPoint = "hivex_node_set_values", SetLastError = true)]
    internal static partial int NodeSetValues(Handle h, nuint node, nuint count, [In] SetValueArg[] values, int flags);

    /// <summary>A malloc'd NUL-terminated UTF-8 string: decoded, then freed.</summary>
    internal static string? TakeString(IntPtr p)
    {
        if (p == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Free(p);
        }
    }

    /// <summary>A malloc'd 0-terminated array of handles of known length: copied, then freed.</summary>
    internal static nuint[] TakeHandles(IntPtr p, int count)
    {
        try
        {
            var result = new nuint[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = (nuint)Marshal.ReadIntPtr(p, i * IntPtr.Size);
            }

            return result;
        }
        finally
        {
            Free(p);
        }
    }

    /// <summary>A malloc'd buffer of <paramref name="length"/> bytes: copied, then freed.</summary>
    internal static byte[] TakeBytes(IntPtr p, int length)
    {
        try
        {
            var result = new byte[length];
            if (length > 0)
            {
                Marshal.Copy(p, result, 0, length);
            }

            return result;
        }
        finally
        {
            Free(p);
        }
    }

    /// <summary>strerror(3) text of an errno.</summary>
    internal static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    private static unsafe void Free(IntPtr p) => NativeMemory.Free((void*)p);

    /// <summary>A <c>hive_h*</c>, closed with hivex_close (which discards uncommitted changes).</summary>
    internal sealed class Handle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>For the interop marshaller (<see cref="Open"/>).</summary>
        public Handle()
            : base(ownsHandle: true)
        {
        }

        protected override bool ReleaseHandle()
        {
            _ = HiveNative.Close(handle);
            return true;
        }
    }
}
