using V2VConverter.Formats.Disk;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Vmdk;

/// <summary>
/// A VMDK (any layout, any snapshot depth) read as one virtual disk: every createType qemu writes plus
/// ZERO/RDONLY/custom descriptors, VMware-layout streamOptimized (with or without footer) and COWD.
/// </summary>
public sealed class VmdkDisk : IVirtualDisk
{
    private const long MapWindowBytes = 1L << 30;

    private readonly FormatWarnings _warnings;
    private readonly CancellationToken _cancellation;
    private long _allocated = -1;

    private VmdkDisk(VmdkLayer top, FormatWarnings warnings, CancellationToken cancellation)
    {
        Top = top;
        _warnings = warnings;
        _cancellation = cancellation;
        var chain = new List<VmdkLayer>();
        for (var l = top; l is not null; l = l.Parent)
        {
            chain.Add(l);
        }

        Chain = chain;
    }

    /// <summary>
    /// Opens a VMDK: a text descriptor, a KDMV file (monolithicSparse, streamOptimized) or a COWD file,
    /// with its parents. The folder of <paramref name="path"/> is the VM folder no extent or parent may leave,
    /// links resolved (<see cref="VmdkOpenOptions.AllowAbsoluteExtents"/> lifts that). <paramref name="path"/>
    /// itself, named by the user, may be a link to anywhere. Every warning goes to
    /// <see cref="VmdkOpenOptions.Log"/> as it is found; <see cref="VmdkOpenOptions.Cancellation"/> stops the open (a stream
    /// scan, an extent walk) and, later, the walks of the allocation map.
    /// </summary>
    public static VmdkDisk Open(string path, VmdkOpenOptions? options = null) => Open(path, null, options);

    /// <summary>
    /// Opens a VMDK that a .vmx in <paramref name="vmFolder"/> names: as <see cref="Open(string, VmdkOpenOptions?)"/>,
    /// with <paramref name="vmFolder"/> as the VM folder, and the file itself must really lie in it too (unless
    /// <see cref="VmdkOpenOptions.AllowAbsoluteExtents"/>). With a null <paramref name="vmFolder"/>, the folder of <paramref name="path"/>.
    /// </summary>
    /// <exception cref="InputOutsideFolderException">The file itself really lies outside <paramref name="vmFolder"/>.</exception>
    public static VmdkDisk Open(string path, string? vmFolder, VmdkOpenOptions? options)
    {
        options ??= new VmdkOpenOptions();
        if (options.MaxChainDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxChainDepth must be at least 1");
        }

        var full = System.IO.Path.GetFullPath(path);
        var warnings = new FormatWarnings(options.Log);
        var cancellationToken = options.Cancellation;
        VmFolder folder;
        if (options.Container is { } container)
        {
            // Inside a container every file is a member: the container is the folder, and its names are real names.
            var root = System.IO.Path.GetFullPath(container.Root);
            folder = new VmFolder(root, root, ConfineTop: true);
        }
        else
        {
            var dir = vmFolder is null ? System.IO.Path.GetDirectoryName(full) ?? "/" : System.IO.Path.GetFullPath(vmFolder);
            folder = new VmFolder(dir, InputFile.RealPath(dir), vmFolder is not null);
        }

        var top = VmdkLayer.Open(full, folder, options, warnings, new HashSet<string>(StringComparer.Ordinal), 1, cancellationToken);
        return new VmdkDisk(top, warnings, cancellationToken);
    }

    public long Length => Top.Length;

    public string Format => "vmdk";

    public string Path => Top.Path;

    /// <summary>createType of the top layer (monolithicSparse, streamOptimized, twoGbMaxExtentFlat, vmfs...).</summary>
    public string Subformat => Top.CreateType;

    public VmdkDescriptor? Descriptor => Top.Descriptor;

    public uint? Cid => Top.Cid;

    public uint ParentCid => Top.ParentCid;

    public string? AdapterType => Chain.Select(l => l.Descriptor?.AdapterType).FirstOrDefault(a => a is not null);

    /// <summary>Extents of the top layer.</summary>
    public IReadOnlyList<VmdkExtentInfo> Extents => Top.Extents;

    public VmdkLayer Top { get; }

    /// <summary>The snapshot chain, top (the opened file) first, base last.</summary>
    public IReadOnlyList<VmdkLayer> Chain { get; }

    /// <summary>Things that were accepted but look wrong (unclean shutdown, rebuilt stream map, ignored CID...).</summary>
    public IReadOnlyList<string> Warnings => _warnings.Items;

    /// <summary>Guest bytes backed by data anywhere in the chain (zero and unallocated ranges excluded).</summary>
    public long AllocatedBytes
    {
        get
        {
            if (_allocated < 0)
            {
                _allocated = GetExtents(0, Length).Where(e => e.Kind == ExtentKind.Data).Sum(e => e.Length);
            }

            return _allocated;
        }
    }

    /// <summary>Host bytes of every file of the chain.</summary>
    public long FileBytes => Chain.Sum(l => l.FileBytes);

    public void Read(long offset, Span<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        if (buffer.Length > 0)
        {
            Top.Read(offset, buffer);
        }
    }

    public IEnumerable<DiskExtent> GetExtents(long offset, long length)
    {
        CheckRange(offset, length);
        return Iterate(offset, length);
    }

    private IEnumerable<DiskExtent> Iterate(long offset, long length)
    {
        DiskExtent? pending = null;
        var window = new List<DiskExtent>();
        var end = offset + length;
        for (var pos = offset; pos < end; pos += MapWindowBytes)
        {
            _cancellation.ThrowIfCancellationRequested();
            window.Clear();
            Top.Map(pos, Math.Min(MapWindowBytes, end - pos), window);
            foreach (var e in window)
            {
                if (pending is { } p && p.Kind == e.Kind && p.End == e.Offset)
                {
                    pending = p with { Length = p.Length + e.Length };
                    continue;
                }

                if (pending is { } q)
                {
                    yield return q;
                }

                pending = e;
            }
        }

        if (pending is { } last)
        {
            yield return last;
        }
    }

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} lies outside the disk of {Length} bytes");
        }
    }

    public void Dispose() => Top.Dispose();
}
