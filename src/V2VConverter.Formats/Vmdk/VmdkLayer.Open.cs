using V2VConverter.Formats.Disk;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Vmdk;

public sealed partial class VmdkLayer
{
    internal const string ConsolidateAdvice =
        "consolidate the snapshots in vSphere (Snapshots > Consolidate) or run 'vmkfstools -i' to clone to a thick disk, or export the VM as OVF";

    private static readonly HashSet<string> DeviceCreateTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "vmfsRaw", "vmfsRawDeviceMap", "vmfsPassthroughRawDeviceMap", "fullDevice", "partitionedDevice",
    };

    /// <summary>Opens a layer and, recursively, its parents.</summary>
    /// <param name="parentOf">For a parent layer: the child's path and its parentFileNameHint, for messages.</param>
    internal static VmdkLayer Open(string path, VmFolder vmFolder, VmdkOpenOptions options, FormatWarnings warnings, HashSet<string> visited, int depth, CancellationToken cancellationToken, (string Child, string Hint)? parentOf = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var full = System.IO.Path.GetFullPath(path);
        if (depth > options.MaxChainDepth)
        {
            throw new InvalidDataException($"{full}: the snapshot chain is deeper than {options.MaxChainDepth} layers (field \"parentFileNameHint\")");
        }

        // The top file named by the user may lie anywhere; one named by a .vmx (vmFolder.ConfineTop), a parent
        // and an extent must really lie in the VM folder, links resolved, unless --allow-absolute-extents.
        var confine = !options.AllowAbsoluteExtents && (depth > 1 || vmFolder.ConfineTop);
        var inputOptions = new InputFileOptions { ConfineTo = confine ? vmFolder.RealPath : null };
        DiskFile handle;
        string real;
        try
        {
            handle = OpenFile(full, inputOptions, options, out real);
        }
        catch (InputOutsideFolderException ex) when (parentOf is { } p)
        {
            throw new InvalidDataException($"{p.Child}: field \"parentFileNameHint\": the parent \"{VmdkDescriptor.Shorten(p.Hint)}\" resolves to {ex.RealPath}, outside the VM folder {ex.Folder}; refused (pass --allow-absolute-extents to accept it)", ex);
        }
        catch (Exception ex) when (parentOf is { } p && ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidDataException($"{p.Child}: field \"parentFileNameHint\": the parent disk \"{VmdkDescriptor.Shorten(p.Hint)}\" ({VmdkDescriptor.Shorten(full)}) does not exist", ex);
        }
        catch (Exception ex) when (parentOf is { } p && ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{p.Child}: field \"parentFileNameHint\": the parent disk \"{VmdkDescriptor.Shorten(p.Hint)}\" cannot be opened: {ex.Message}", ex);
        }

        if (!visited.Add(real))
        {
            handle.Dispose();
            throw new InvalidDataException($"{full}: the snapshot chain loops back to this file (field \"parentFileNameHint\")");
        }

        var owned = true;
        var extents = new List<VmdkExtent>();
        try
        {
            Span<byte> probe = stackalloc byte[VmdkSniffer.MagicBytes];
            var n = handle.Read(probe, 0);
            var kind = VmdkSniffer.DetectBinary(probe[..n]);
            VmdkDescriptor? descriptor;
            string createType;
            var infos = new List<VmdkExtentInfo>();
            if (kind == VmdkFileKind.HostedSparse)
            {
                owned = false;
                var extent = SparseExtent.OpenHosted(handle, full, null, options, warnings, out var header);
                extents.Add(extent);
                descriptor = ReadEmbeddedDescriptor(handle, full, header);
                createType = descriptor?.HasCreateType == true ? descriptor.CreateType : header.HasMarkers ? "streamOptimized" : "monolithicSparse";
                var line = descriptor?.Extents.Count == 1 ? descriptor.Extents[0] : null;
                if (line is not null && line.SizeSectors != extent.Length / VmdkLimits.SectorSize)
                {
                    warnings.Add($"{full}: the embedded extent line says {line.SizeSectors} sectors, the header capacity {extent.Length / VmdkLimits.SectorSize}; the header wins");
                }

                infos.Add(new VmdkExtentInfo(line?.AccessText ?? "RW", extent.Length / VmdkLimits.SectorSize, "SPARSE", line?.FileName ?? System.IO.Path.GetFileName(full), 0, full, extent.Kind, extent.FileLength));
            }
            else if (kind == VmdkFileKind.Cowd)
            {
                owned = false;
                var extent = SparseExtent.OpenCowd(handle, full, null, options, warnings, out _);
                extents.Add(extent);
                descriptor = null;
                createType = "vmfsSparse";
                infos.Add(new VmdkExtentInfo("RW", extent.Length / VmdkLimits.SectorSize, "VMFSSPARSE", System.IO.Path.GetFileName(full), 0, full, extent.Kind, extent.FileLength));
            }
            else if (kind == VmdkFileKind.SeSparse)
            {
                throw new NotSupportedException($"{full}: seSparse extents are not supported; {ConsolidateAdvice}");
            }
            else
            {
                descriptor = ReadTextDescriptor(handle, full);
                handle.Dispose();
                owned = false;
                createType = descriptor.CreateType;
                CheckCreateType(descriptor, full);
                CheckTotalSize(descriptor, full, options);
                foreach (var line in descriptor.Extents)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (extent, info) = OpenExtent(line, full, vmFolder, options, warnings, cancellationToken);
                    extents.Add(extent);
                    infos.Add(info);
                }
            }

            foreach (var w in descriptor?.Warnings ?? [])
            {
                warnings.Add(w);
            }

            var parent = OpenParent(descriptor, full, vmFolder, options, warnings, visited, depth, cancellationToken);
            return new VmdkLayer(full, createType, descriptor, [.. extents], infos, parent);
        }
        catch
        {
            if (owned)
            {
                handle.Dispose();
            }

            foreach (var e in extents)
            {
                e.Dispose();
            }

            throw;
        }
    }

    /// <summary>A host file through <see cref="InputFile"/>, or a member of <see cref="VmdkOpenOptions.Container"/>.</summary>
    private static DiskFile OpenFile(string path, InputFileOptions inputOptions, VmdkOpenOptions options, out string real)
    {
        if (options.Container is { } container)
        {
            real = path;
            return container.Open(path);
        }

        return DiskFile.Open(path, inputOptions, out real);
    }

    private static VmdkDescriptor? ReadEmbeddedDescriptor(DiskFile handle, string path, SparseExtentHeader header)
    {
        if (header.DescriptorOffset == 0 || header.DescriptorSize == 0)
        {
            return null;
        }

        // Validate bounded descriptorSize to 1 MiB and checked it lies inside the file.
        var bytes = new byte[(int)header.DescriptorSize * VmdkLimits.SectorSize];
        VmdkExtent.ReadExactly(handle, bytes, (long)header.DescriptorOffset * VmdkLimits.SectorSize, path, "embedded descriptor");
        return VmdkDescriptor.Parse(bytes, path);
    }

    private static VmdkDescriptor ReadTextDescriptor(DiskFile handle, string path)
    {
        var length = handle.Length;
        if (length > VmdkLimits.MaxDescriptorBytes)
        {
            throw new InvalidDataException($"{path}: not a KDMV/COWD file, and as a text descriptor its size {length} bytes exceeds the {VmdkLimits.MaxDescriptorBytes}-byte bound (field \"descriptor size\")");
        }

        var bytes = new byte[length];
        VmdkExtent.ReadExactly(handle, bytes, 0, path, "descriptor");
        var descriptor = VmdkDescriptor.Parse(bytes, path);
        if (descriptor.Extents.Count == 0)
        {
            throw new InvalidDataException($"{path}: not a VMDK: no KDMV/COWD magic and no extent lines in it as a text descriptor (field \"extent description\")");
        }

        return descriptor;
    }

    /// <summary>The extents of one descriptor add up to at most <see cref="VmdkOpenOptions.MaxCapacityBytes"/> (checked without overflow, before any is opened).</summary>
    private static void CheckTotalSize(VmdkDescriptor d, string path, VmdkOpenOptions options)
    {
        var bound = options.MaxCapacityBytes / VmdkLimits.SectorSize;
        long total = 0;
        foreach (var line in d.Extents)
        {
            if (line.SizeSectors > bound - total)
            {
                var sum = d.Extents.Aggregate(0m, (a, e) => a + e.SizeSectors) * VmdkLimits.SectorSize;
                throw new InvalidDataException($"{path}: field \"extent size\": the {d.Extents.Count} extents add up to a virtual size of {sum} bytes, above the {options.MaxCapacityBytes}-byte ({DiskLimits.MaxVirtualSizeText}) bound");
            }

            total += line.SizeSectors;
        }
    }

    private static void CheckCreateType(VmdkDescriptor d, string path)
    {
        if (DeviceCreateTypes.Contains(d.CreateType))
        {
            throw new NotSupportedException($"{path}: createType \"{d.CreateType}\" is backed by a physical device, which cannot be converted from a file; clone it to a file first ('vmkfstools -i')");
        }

        if (d.CreateType.Equals("seSparse", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"{path}: createType \"seSparse\" is not supported; {ConsolidateAdvice}");
        }

        if (d.CreateType.Equals("vsanSparse", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"{path}: createType \"vsanSparse\" (a vSAN object) is not supported; {ConsolidateAdvice}");
        }
    }

    private static (VmdkExtent, VmdkExtentInfo) OpenExtent(VmdkExtentLine line, string descriptorPath, VmFolder vmFolder, VmdkOpenOptions options, FormatWarnings warnings, CancellationToken cancellationToken)
    {
        var where = $"{descriptorPath} line {line.LineNumber}";
        if (line.Access == VmdkAccess.NoAccess)
        {
            throw new NotSupportedException($"{where}: the extent \"{line.FileName}\" is NOACCESS and cannot be read");
        }

        var sizeBytes = line.SizeSectors * VmdkLimits.SectorSize;
        switch (line.Type)
        {
            case "ZERO":
                return (new ZeroExtent(sizeBytes), Info(line, null, "zero", 0));
            case "SESPARSE":
                throw new NotSupportedException($"{where}: SESPARSE extents are not supported; {ConsolidateAdvice}");
            case "VMFSRDM" or "VMFSRAW":
                throw new NotSupportedException($"{where}: {line.Type} extents are raw device mappings; clone the disk to a file first ('vmkfstools -i')");
            case "VSANSPARSE":
                throw new NotSupportedException($"{where}: VSANSPARSE extents are not supported; {ConsolidateAdvice}");
            case "FLAT" or "VMFS" or "SPARSE" or "VMFSSPARSE":
                break;
            default:
                throw new NotSupportedException($"{where}: extent type \"{line.Type}\" is not supported");
        }

        if (string.IsNullOrEmpty(line.FileName))
        {
            throw new InvalidDataException($"{where}: field \"extent file name\" is missing for a {line.Type} extent");
        }

        var file = ResolvePath(line.FileName, descriptorPath, vmFolder.Path, options, where, "extent");
        DiskFile handle;
        try
        {
            handle = OpenFile(file, new InputFileOptions { ConfineTo = options.AllowAbsoluteExtents ? null : vmFolder.RealPath }, options, out _);
        }
        catch (InputOutsideFolderException ex)
        {
            throw new InvalidDataException($"{where}: field \"extent file name\": the extent \"{VmdkDescriptor.Shorten(line.FileName)}\" resolves to {ex.RealPath}, outside the VM folder {ex.Folder}; refused (pass --allow-absolute-extents to accept it)", ex);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidDataException($"{where}: field \"extent file name\": the extent file \"{VmdkDescriptor.Shorten(line.FileName)}\" ({VmdkDescriptor.Shorten(file)}) does not exist", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{where}: field \"extent file name\": the extent file \"{VmdkDescriptor.Shorten(line.FileName)}\" cannot be opened: {ex.Message}", ex);
        }

        try
        {
            if (line.Type is "FLAT" or "VMFS")
            {
                var offset = line.OffsetSectors * VmdkLimits.SectorSize;
                var fileLength = handle.Length;
                if (offset + sizeBytes > fileLength)
                {
                    throw new InvalidDataException($"{where}: field \"extent size\": the flat extent \"{line.FileName}\" needs {offset + sizeBytes} bytes but the file has {fileLength}");
                }

                var kind = line.Type == "VMFS" ? "vmfs flat" : "flat";
                return (new FlatExtent(handle, file, offset, sizeBytes, kind), Info(line, file, kind, fileLength));
            }

            if (line.OffsetSectors != 0)
            {
                warnings.Add($"{where}: offset {line.OffsetSectors} on a {line.Type} extent ignored");
            }

            Span<byte> probe = stackalloc byte[VmdkSniffer.MagicBytes];
            var n = handle.Read(probe, 0);
            var magic = VmdkSniffer.DetectBinary(probe[..n]);
            SparseExtent extent;
            if (magic == VmdkFileKind.HostedSparse)
            {
                extent = SparseExtent.OpenHosted(handle, file, line.SizeSectors, options, warnings, out _);
            }
            else if (magic == VmdkFileKind.Cowd)
            {
                extent = SparseExtent.OpenCowd(handle, file, line.SizeSectors, options, warnings, out _);
            }
            else
            {
                throw new InvalidDataException($"{where}: field \"magicNumber\" of the {line.Type} extent \"{line.FileName}\" is neither KDMV nor COWD");
            }

            return (extent, Info(line, file, extent.Kind, extent.FileLength));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static VmdkExtentInfo Info(VmdkExtentLine line, string? resolved, string kind, long fileBytes) =>
        new(line.AccessText, line.SizeSectors, line.Type, line.FileName, line.OffsetSectors, resolved, kind, fileBytes);

    /// <summary>
    /// Resolves an extent or parent file name relative to the descriptor's folder. Absolute paths and paths
    /// that leave the VM folder are refused unless <see cref="VmdkOpenOptions.AllowAbsoluteExtents"/>.
    /// </summary>
    internal static string ResolvePath(string name, string descriptorPath, string vmFolder, VmdkOpenOptions options, string where, string what)
    {
        var field = what == "parent" ? "parentFileNameHint" : "extent file name";
        if (System.IO.Path.IsPathRooted(name))
        {
            if (!options.AllowAbsoluteExtents)
            {
                throw new InvalidDataException($"{where}: field \"{field}\": the {what} path \"{name}\" is absolute; refused (pass --allow-absolute-extents to accept it)");
            }

            return System.IO.Path.GetFullPath(name);
        }

        var dir = System.IO.Path.GetDirectoryName(descriptorPath) ?? ".";
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, name));
        var root = System.IO.Path.TrimEndingDirectorySeparator(vmFolder) + System.IO.Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal) && !options.AllowAbsoluteExtents)
        {
            throw new InvalidDataException($"{where}: field \"{field}\": the {what} path \"{name}\" escapes the VM folder {vmFolder} through ../; refused (pass --allow-absolute-extents to accept it)");
        }

        return full;
    }

    private static VmdkLayer? OpenParent(VmdkDescriptor? d, string path, VmFolder vmFolder, VmdkOpenOptions options, FormatWarnings warnings, HashSet<string> visited, int depth, CancellationToken cancellationToken)
    {
        if (d is null || !d.HasParent)
        {
            return null;
        }

        if (d.ParentFileNameHint is null)
        {
            throw new InvalidDataException($"{path}: field \"parentFileNameHint\" is missing although parentCID is {d.ParentCid:x8}");
        }

        var parentPath = ResolvePath(d.ParentFileNameHint, path, vmFolder.Path, options, path, "parent");
        var parent = Open(parentPath, vmFolder, options, warnings, visited, depth + 1, cancellationToken, (path, d.ParentFileNameHint));
        try
        {
            if (parent.Cid is { } cid && cid != d.ParentCid)
            {
                if (!options.IgnoreCid)
                {
                    throw new InvalidDataException($"{path}: field \"parentCID\" is {d.ParentCid:x8} but the parent {parentPath} has CID {cid:x8}: the parent was modified after this snapshot was taken (pass --ignore-cid to read it anyway)");
                }

                warnings.Add($"{path}: parentCID {d.ParentCid:x8} differs from the parent's CID {cid:x8}; ignored (--ignore-cid)");
            }
            else if (parent.Cid is null)
            {
                warnings.Add($"{path}: the parent {parentPath} has no CID; the chain could not be checked");
            }

            return parent;
        }
        catch
        {
            parent.Dispose();
            throw;
        }
    }
}

/// <summary>
/// The folder no extent or parent may leave: as named (for the <c>../</c> check on the text of a path) and its real
/// path, links resolved (for the real target of every file). <see cref="ConfineTop"/>: the top file itself must lie in
/// it too (a disk named by a .vmx), unlike a file the user named on the command line.
/// </summary>
internal sealed record VmFolder(string Path, string RealPath, bool ConfineTop);
