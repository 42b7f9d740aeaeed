using Serilog;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Windows.Registry;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Windows.Inspection;

/// <summary>
/// The guest's SYSTEM and SOFTWARE hives as local copies in a private temp folder, opened with hivex: read for inspection,
/// edited by the fixups, then committed and uploaded back over the guest's files (<see cref="Save"/>). Disposing deletes the copies.
/// </summary>
public sealed class WindowsHives : IDisposable
{
    private readonly DirectoryInfo _dir;

    private WindowsHives(DirectoryInfo dir, string systemGuestPath, string softwareGuestPath, Hive system, Hive software)
    {
        _dir = dir;
        SystemGuestPath = systemGuestPath;
        SoftwareGuestPath = softwareGuestPath;
        System = system;
        Software = software;
    }

    public string SystemGuestPath { get; }

    public string SoftwareGuestPath { get; }

    public Hive System { get; }

    public Hive Software { get; }

    /// <summary>Copies both hives out of the guest (systemRoot: "/Windows") and opens them.</summary>
    public static WindowsHives Download(GuestfsSession session, string systemRoot, bool writable, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(session);
        var dir = Directory.CreateTempSubdirectory("v2v-hives-");
        Hive? system = null;
        try
        {
            var systemPath = session.ResolveCase(systemRoot + "/System32/config/SYSTEM");
            var softwarePath = session.ResolveCase(systemRoot + "/System32/config/SOFTWARE");
            var localSystem = Path.Combine(dir.FullName, "SYSTEM");
            var localSoftware = Path.Combine(dir.FullName, "SOFTWARE");
            session.Download(systemPath, localSystem);
            session.Download(softwarePath, localSoftware);
            log.Info($"registry: {systemPath} ({new FileInfo(localSystem).Length} bytes) and {softwarePath} ({new FileInfo(localSoftware).Length} bytes) copied out for hivex");
            system = Hive.Open(localSystem, writable);
            var software = Hive.Open(localSoftware, writable);
            return new WindowsHives(dir, systemPath, softwarePath, system, software);
        }
        catch
        {
            system?.Dispose();
            dir.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>Commits the hives that were edited and uploads them over the guest's files.</summary>
    public void Save(GuestfsSession session, bool systemChanged, bool softwareChanged, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (systemChanged)
        {
            System.Commit();
            session.Upload(System.Path, SystemGuestPath);
            log.Info($"registry: {SystemGuestPath} written back");
        }

        if (softwareChanged)
        {
            Software.Commit();
            session.Upload(Software.Path, SoftwareGuestPath);
            log.Info($"registry: {SoftwareGuestPath} written back");
        }
    }

    public void Dispose()
    {
        System.Dispose();
        Software.Dispose();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is not worth failing a conversion for
        }
    }
}
