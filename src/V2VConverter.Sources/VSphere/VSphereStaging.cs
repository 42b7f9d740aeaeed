using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;

namespace V2VConverter.Sources.VSphere;

/// <summary>
/// A vSphere VM made ready for the local conversion pipeline: its disk files downloaded into a
/// staging folder and its model's disks pointing at them (<see cref="VirtualDisk.ResolvedPath"/>,
/// <see cref="DiskFileState.Present"/>). Dispose deletes the staging folder.
/// This is the simple path for <c>convert URI --vm NAME</c>: a staging copy of each disk. Streaming
/// straight into the disk writer (no staging) can use <see cref="DatastoreDownloader.DownloadAsync"/>
/// with a consumer stream instead.
/// </summary>
public sealed class StagedVSphereVm : IDisposable
{
    private StagedVSphereVm(VSphereVm vm, VirtualMachine model, string directory, IReadOnlyList<DownloadResult> downloads)
    {
        Vm = vm;
        Model = model;
        Directory = directory;
        Downloads = downloads;
    }

    public VSphereVm Vm { get; }

    /// <summary>The model from the VM's .vmx, with every copyable disk resolved to its downloaded descriptor.</summary>
    public VirtualMachine Model { get; }

    public string Directory { get; }

    public IReadOnlyList<DownloadResult> Downloads { get; }

    /// <summary>
    /// Fetches <paramref name="vmName"/>, refuses it when running unless <paramref name="allowRunning"/>
    /// (then warns), downloads its disk files (in parallel, bounded) into a new folder under
    /// <paramref name="stagingParent"/> and returns the resolved model.
    /// </summary>
    public static async Task<StagedVSphereVm> StageAsync(VSphereSource source, string vmName, string stagingParent, bool allowRunning, DiagnosticBag diagnostics, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var vm = await source.FetchVmAsync(vmName, ct).ConfigureAwait(false);
        VSphereSource.CheckPowerState(vm.Info, allowRunning, diagnostics);
        var model = VSphereModel.ToModel(vm, diagnostics);
        var dir = Path.Combine(stagingParent, $".v2v-download-{Path.GetFileName(vmName)}-{Environment.ProcessId}");
        try
        {
            var downloads = await source.DownloadDisksAsync(vm, dir, allowRunning: true, progress, ct).ConfigureAwait(false);
            var byName = downloads.Where(d => d.LocalPath is not null).ToDictionary(d => d.Source, d => d.LocalPath!);
            var disks = model.Disks.Select(d =>
            {
                if (d.IsRawDevice)
                {
                    return d;
                }

                var remote = VSphereModel.DatastorePathOf(vm, d);
                return byName.TryGetValue(remote, out var local)
                    ? d with { ResolvedPath = local, FileState = DiskFileState.Present }
                    : d with { FileState = DiskFileState.Missing };
            }).ToArray();
            return new StagedVSphereVm(vm, model with { Disks = disks, BaseDirectory = dir }, dir, downloads);
        }
        catch
        {
            TryDelete(dir);
            throw;
        }
    }

    public void Dispose() => TryDelete(Directory);

    private static void TryDelete(string dir)
    {
        try
        {
            if (System.IO.Directory.Exists(dir))
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
