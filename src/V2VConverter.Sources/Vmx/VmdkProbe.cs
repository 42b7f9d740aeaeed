namespace V2VConverter.Sources.Vmx;

/// <summary>Checks that a file looks like a VMDK (text descriptor, KDMV or COWD) before it is listed.</summary>
public static class VmdkProbe
{
    private const int ProbeBytes = 1024;

    public static bool LooksLikeVmdk(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        Span<byte> head = stackalloc byte[ProbeBytes];
        int n;
        using (var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            n = RandomAccess.Read(h, head, 0);
        }

        head = head[..n];
        if (head.StartsWith("KDMV"u8) || head.StartsWith("COWD"u8))
        {
            return true;
        }

        // A text descriptor: optional comment lines, then version= or createType= / an extent line.
        var text = System.Text.Encoding.Latin1.GetString(head);
        var nul = text.IndexOf('\0');
        if (nul >= 0)
        {
            text = text[..nul];
        }

        return text.Contains("# Disk DescriptorFile", StringComparison.OrdinalIgnoreCase)
            || (text.Contains("createType", StringComparison.OrdinalIgnoreCase) && text.Contains("version", StringComparison.OrdinalIgnoreCase));
    }
}
