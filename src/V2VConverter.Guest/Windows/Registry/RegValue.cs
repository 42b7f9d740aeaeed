using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace V2VConverter.Guest.Windows.Registry;

/// <summary>Registry value types, numbered as in winnt.h (REG_SZ = 1 ...) and in hivex's <c>hive_type</c>.</summary>
public enum RegKind
{
    None = 0,
    Sz = 1,
    ExpandSz = 2,
    Binary = 3,
    Dword = 4,
    DwordBigEndian = 5,
    Link = 6,
    MultiSz = 7,
    ResourceList = 8,
    FullResourceDescriptor = 9,
    ResourceRequirementsList = 10,
    Qword = 11,
}

/// <summary>
/// One registry value as stored in a hive: its type and its raw bytes (strings are UTF-16LE with a terminating NUL,
/// REG_MULTI_SZ ends with an empty string). <see cref="Render"/> writes it as <c>hivexregedit --export --unsafe-printable-strings</c> does (readable strings, hex for the rest).
/// </summary>
public readonly record struct RegValue(RegKind Kind, byte[] Data)
{
    public static RegValue Sz(string s) => new(RegKind.Sz, Utf16z(s));

    public static RegValue ExpandSz(string s) => new(RegKind.ExpandSz, Utf16z(s));

    public static RegValue MultiSz(params string[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var sb = new StringBuilder();
        foreach (var i in items)
        {
            sb.Append(i).Append('\0');
        }

        sb.Append('\0');
        return new RegValue(RegKind.MultiSz, Encoding.Unicode.GetBytes(sb.ToString()));
    }

    public static RegValue Dword(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return new RegValue(RegKind.Dword, b);
    }

    public static RegValue Qword(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return new RegValue(RegKind.Qword, b);
    }

    public static RegValue Binary(byte[] data) => new(RegKind.Binary, data);

    /// <summary>REG_SZ / REG_EXPAND_SZ / REG_LINK as text (up to the first NUL); null for other kinds.</summary>
    public string? AsString() => Kind is RegKind.Sz or RegKind.ExpandSz or RegKind.Link ? Utf16UpToNul(Data) : null;

    /// <summary>REG_DWORD (little- or big-endian) as a number; null for other kinds or a short value.</summary>
    public uint? AsDword() => Kind switch
    {
        RegKind.Dword when Data.Length >= 4 => BinaryPrimitives.ReadUInt32LittleEndian(Data),
        RegKind.DwordBigEndian when Data.Length >= 4 => BinaryPrimitives.ReadUInt32BigEndian(Data),
        _ => null,
    };

    public ulong? AsQword() => Kind == RegKind.Qword && Data.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(Data) : null;

    /// <summary>REG_MULTI_SZ as its strings (the empty terminator dropped); a REG_SZ as one string; null otherwise.</summary>
    public IReadOnlyList<string>? AsMultiSz()
    {
        if (Kind is RegKind.Sz or RegKind.ExpandSz)
        {
            return [AsString()!];
        }

        if (Kind != RegKind.MultiSz)
        {
            return null;
        }

        var text = Encoding.Unicode.GetString(Data, 0, Data.Length & ~1);
        return text.Split('\0').Where(s => s.Length > 0).ToList();
    }

    /// <summary>The value in .reg notation (<c>hivexregedit --unsafe-printable-strings</c>): <c>str(1):"x"</c>, <c>dword:0000000a</c>, <c>hex(7):..</c>.</summary>
    public string Render() => Kind switch
    {
        RegKind.Sz or RegKind.ExpandSz when IsCleanString() => $"str({(int)Kind}):\"{Escape(AsString()!)}\"",
        RegKind.Dword when Data.Length == 4 => "dword:" + BinaryPrimitives.ReadUInt32LittleEndian(Data).ToString("x8", CultureInfo.InvariantCulture),
        _ => $"hex({((int)Kind).ToString("x", CultureInfo.InvariantCulture)}):" + string.Join(",", Data.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
    };

    public override string ToString() => Render();

    public bool Equals(RegValue other) => Kind == other.Kind && (Data ?? []).AsSpan().SequenceEqual(other.Data ?? []);

    public override int GetHashCode() => HashCode.Combine(Kind, Data?.Length ?? 0);

    private bool IsCleanString()
    {
        // One NUL-terminated UTF-16 string and nothing after it, as hivexregedit requires for str(n).
        if (Data.Length < 2 || Data.Length % 2 != 0 || Data[^1] != 0 || Data[^2] != 0)
        {
            return false;
        }

        var s = Encoding.Unicode.GetString(Data, 0, Data.Length - 2);
        return !s.Contains('\0', StringComparison.Ordinal);
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private static byte[] Utf16z(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Encoding.Unicode.GetBytes(s + "\0");
    }

    private static string Utf16UpToNul(byte[] data)
    {
        var text = Encoding.Unicode.GetString(data, 0, data.Length & ~1);
        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        return nul < 0 ? text : text[..nul];
    }
}
