using System.Runtime.InteropServices;

namespace V2VConverter.Guest.Windows.Registry;

/// <summary>
/// A Windows registry hive file (SYSTEM, SOFTWARE, BCD) on the local disk, read and edited through hivex
/// (<c>libhivex.so.0</c>). Key paths are below the hive root, separated by backslashes
/// (<c>ControlSet001\Services\viostor</c>; "" is the root) and looked up case-insensitively, as Windows does.
/// Value name "" is the key's default value. Edits stay in memory until <see cref="Commit"/>.
/// Every size read from the file is bounded (<see cref="MaxValueBytes"/>, <see cref="MaxEntries"/>).
/// </summary>
public sealed class Hive : IDisposable
{
    /// <summary>The largest value this class reads or writes.</summary>
    public const int MaxValueBytes = 16 * 1024 * 1024;

    /// <summary>The most subkeys, or values, one key may have.</summary>
    public const int MaxEntries = 100_000;

    private const int ENOENT = 2;
    private const int EACCES = 13;

    private readonly HiveNative.Handle _h;

    private Hive(string path, bool writable, HiveNative.Handle h)
    {
        Path = path;
        Writable = writable;
        _h = h;
    }

    /// <summary>The local hive file.</summary>
    public string Path { get; }

    /// <summary>True when opened for writing.</summary>
    public bool Writable { get; }

    /// <summary>Opens a hive file; <paramref name="writable"/> allows edits and <see cref="Commit"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a (complete) registry hive.</exception>
    public static Hive Open(string localPath, bool writable)
    {
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        var h = HiveNative.Open(localPath, writable ? HiveNative.OpenWrite : 0);
        if (h.IsInvalid)
        {
            var errno = Marshal.GetLastPInvokeError();
            h.Dispose();
            var why = HiveNative.Describe(errno);
            throw errno switch
            {
                ENOENT => new FileNotFoundException($"{localPath}: no such hive file (hivex: {why})", localPath),
                EACCES => new UnauthorizedAccessException($"{localPath}: cannot open the hive (hivex: {why})"),
                _ => new InvalidDataException($"{localPath}: not a Windows registry hive (hivex: {why})"),
            };
        }

        return new Hive(localPath, writable, h);
    }

    public bool KeyExists(string keyPath) => Find(keyPath) != 0;

    /// <summary>The names of the key's subkeys in hive order; empty when the key does not exist.</summary>
    public IReadOnlyList<string> SubkeyNames(string keyPath)
    {
        var node = Find(keyPath);
        return node == 0 ? [] : Children(node, keyPath).Select(c => NodeName(c, keyPath)).ToList();
    }

    /// <summary>The key's values in hive order ("" names the default value); empty when the key does not exist.</summary>
    public IReadOnlyList<(string Name, RegValue Value)> Values(string keyPath)
    {
        var node = Find(keyPath);
        if (node == 0)
        {
            return [];
        }

        var count = Count(HiveNative.NodeNrValues(_h, node), keyPath, "values");
        var handles = HiveNative.TakeHandles(Check(HiveNative.NodeValues(_h, node), keyPath, "listing the values"), count);
        return handles.Select(v => (ValueName(v, keyPath), ReadValue(v, keyPath))).ToList();
    }

    /// <summary>One value ("" = the default value); null when the key or the value does not exist.</summary>
    public RegValue? GetValue(string keyPath, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var node = Find(keyPath);
        if (node == 0)
        {
            return null;
        }

        var v = HiveNative.NodeGetValue(_h, node, name);
        if (v == 0)
        {
            ThrowIfErrno(Marshal.GetLastPInvokeError(), keyPath, $"looking up value \"{name}\"");
            return null;
        }

        return ReadValue(v, keyPath);
    }

    /// <summary>Creates the key and any missing parents; nothing happens for a key that exists.</summary>
    public void CreateKey(string keyPath)
    {
        RequireWritable();
        var node = Root();
        foreach (var part in Split(keyPath))
        {
            var child = Child(node, part, keyPath);
            if (child == 0)
            {
                child = HiveNative.NodeAddChild(_h, node, part);
                if (child == 0)
                {
                    throw WriteFailed(keyPath, $"creating subkey \"{part}\"");
                }
            }

            node = child;
        }
    }

    /// <summary>Sets one value of an existing key, replacing a value of the same name and keeping the others.</summary>
    public void SetValue(string keyPath, string name, RegValue value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value.Data, nameof(value));
        RequireWritable();
        if (value.Data.Length > MaxValueBytes)
        {
            throw new ArgumentException($"{Path}: value \"{name}\" of {keyPath} is {value.Data.Length} bytes, more than the bound {MaxValueBytes}", nameof(value));
        }

        var node = Find(keyPath);
        if (node == 0)
        {
            throw new ArgumentException($"{Path}: cannot set value \"{name}\": key {Show(keyPath)} does not exist", nameof(keyPath));
        }

        if (WithArgs([(name, value)], args => HiveNative.NodeSetValue(_h, node, in args[0], 0)) != 0)
        {
            throw WriteFailed(keyPath, $"setting value \"{name}\"");
        }
    }

    /// <summary>Deletes one value; false when the key or the value does not exist.</summary>
    public bool DeleteValue(string keyPath, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        RequireWritable();
        var node = Find(keyPath);
        if (node == 0 || GetValue(keyPath, name) is null)
        {
            return false;
        }

        // hivex has no single-value delete: write back all the others.
        var keep = Values(keyPath).Where(v => !string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        SetAll(node, keyPath, keep);
        return true;
    }

    /// <summary>Deletes a key and everything below it; false when it does not exist. The root cannot be deleted.</summary>
    public bool DeleteKey(string keyPath)
    {
        RequireWritable();
        if (Split(keyPath).Length == 0)
        {
            throw new ArgumentException($"{Path}: the root key cannot be deleted", nameof(keyPath));
        }

        var node = Find(keyPath);
        if (node == 0)
        {
            return false;
        }

        if (HiveNative.NodeDeleteChild(_h, node) != 0)
        {
            throw WriteFailed(keyPath, "deleting the key");
        }

        return true;
    }

    /// <summary>Writes the edits to <paramref name="toPath"/>, or over <see cref="Path"/> when null.</summary>
    public void Commit(string? toPath = null)
    {
        RequireWritable();
        if (HiveNative.Commit(_h, toPath, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{toPath ?? Path}: writing the hive failed (hivex: {HiveNative.Describe(errno)})");
        }
    }

    public void Dispose() => _h.Dispose();

    /// <summary>The names along a key path; empty for the root ("" or "\\").</summary>
    internal static string[] Split(string keyPath)
    {
        ArgumentNullException.ThrowIfNull(keyPath);
        return keyPath.Split('\\', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string Show(string keyPath) => keyPath.Length == 0 ? "(root)" : keyPath;

    private nuint Root()
    {
        ObjectDisposedException.ThrowIf(_h.IsClosed, this);
        var root = HiveNative.Root(_h);
        return root != 0 ? root : throw Malformed("", $"finding the root key (hivex: {HiveNative.Describe(Marshal.GetLastPInvokeError())})");
    }

    /// <summary>The node of a key path, or 0 when some part is missing.</summary>
    private nuint Find(string keyPath)
    {
        var node = Root();
        foreach (var part in Split(keyPath))
        {
            node = Child(node, part, keyPath);
            if (node == 0)
            {
                return 0;
            }
        }

        return node;
    }

    private nuint Child(nuint node, string name, string keyPath)
    {
        var child = HiveNative.NodeGetChild(_h, node, name);
        if (child == 0)
        {
            ThrowIfErrno(Marshal.GetLastPInvokeError(), keyPath, $"looking up subkey \"{name}\"");
        }

        return child;
    }

    private nuint[] Children(nuint node, string keyPath)
    {
        var count = Count(HiveNative.NodeNrChildren(_h, node), keyPath, "subkeys");
        return HiveNative.TakeHandles(Check(HiveNative.NodeChildren(_h, node), keyPath, "listing the subkeys"), count);
    }

    private string NodeName(nuint node, string keyPath) =>
        HiveNative.TakeString(Check(HiveNative.NodeName(_h, node), keyPath, "reading a subkey name"))!;

    private string ValueName(nuint value, string keyPath) =>
        HiveNative.TakeString(Check(HiveNative.ValueKey(_h, value), keyPath, "reading a value name"))!;

    private RegValue ReadValue(nuint value, string keyPath)
    {
        if (HiveNative.ValueType(_h, value, out _, out var declared) != 0)
        {
            throw Malformed(keyPath, $"reading a value's type (hivex: {HiveNative.Describe(Marshal.GetLastPInvokeError())})");
        }

        if (declared > MaxValueBytes)
        {
            throw Malformed(keyPath, $"value \"{ValueName(value, keyPath)}\" is {declared} bytes, more than the bound {MaxValueBytes}");
        }

        var p = HiveNative.ValueValue(_h, value, out var type, out var length);
        if (p == IntPtr.Zero)
        {
            throw Malformed(keyPath, $"reading value \"{ValueName(value, keyPath)}\" (hivex: {HiveNative.Describe(Marshal.GetLastPInvokeError())})");
        }

        // hivex returns the declared length; never copy more than was bounded above.
        return new RegValue((RegKind)type, HiveNative.TakeBytes(p, (int)Math.Min(length, declared)));
    }

    private void SetAll(nuint node, string keyPath, IReadOnlyList<(string Name, RegValue Value)> values)
    {
        if (WithArgs(values, args => HiveNative.NodeSetValues(_h, node, (nuint)args.Length, args, 0)) != 0)
        {
            throw WriteFailed(keyPath, "rewriting the values");
        }
    }

    /// <summary>Calls hivex with the values as <c>hive_set_value</c> structs: UTF-8 names and pinned data, freed after the call.</summary>
    private static int WithArgs(IReadOnlyList<(string Name, RegValue Value)> values, Func<HiveNative.SetValueArg[], int> call)
    {
        var keys = new List<IntPtr>(values.Count);
        var pins = new List<GCHandle>(values.Count);
        try
        {
            var args = new HiveNative.SetValueArg[values.Count];
            for (var i = 0; i < values.Count; i++)
            {
                keys.Add(Marshal.StringToCoTaskMemUTF8(values[i].Name));
                pins.Add(GCHandle.Alloc(values[i].Value.Data, GCHandleType.Pinned));
                args[i] = new HiveNative.SetValueArg
                {
                    Key = keys[i],
                    Type = (int)values[i].Value.Kind,
                    Length = (nuint)values[i].Value.Data.Length,
                    Value = pins[i].AddrOfPinnedObject(),
                };
            }

            return call(args);
        }
        finally
        {
            pins.ForEach(p => p.Free());
            keys.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    private int Count(nuint n, string keyPath, string what)
    {
        if (n > MaxEntries)
        {
            throw Malformed(keyPath, $"the key has {n} {what}, more than the bound {MaxEntries}");
        }

        return (int)n;
    }

    private IntPtr Check(IntPtr p, string keyPath, string doing) =>
        p != IntPtr.Zero ? p : throw Malformed(keyPath, $"{doing} (hivex: {HiveNative.Describe(Marshal.GetLastPInvokeError())})");

    private void ThrowIfErrno(int errno, string keyPath, string doing)
    {
        if (errno != 0)
        {
            throw Malformed(keyPath, $"{doing} (hivex: {HiveNative.Describe(errno)})");
        }
    }

    private void RequireWritable()
    {
        ObjectDisposedException.ThrowIf(_h.IsClosed, this);
        if (!Writable)
        {
            throw new InvalidOperationException($"{Path}: the hive was opened read-only");
        }
    }

    private InvalidDataException Malformed(string keyPath, string what) => new($"{Path}: key {Show(keyPath)}: {what}");

    private IOException WriteFailed(string keyPath, string doing) =>
        new($"{Path}: key {Show(keyPath)}: {doing} failed (hivex: {HiveNative.Describe(Marshal.GetLastPInvokeError())})");
}
