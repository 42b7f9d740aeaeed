using System.Globalization;
using System.Text;
using V2VConverter.Guest.Access;

namespace V2VConverter.Guest.Fixups;

/// <summary>
/// A slow guest command a fixup wants run (grub-mkconfig, an initramfs rebuild): its steps run in
/// order, each only if the one before succeeded. <paramref name="Weight"/> is its expected cost
/// relative to the others (see <see cref="GuestJobWeights"/>), used to share the vCPUs out.
/// </summary>
public sealed record GuestJob(string Name, IReadOnlyList<string> Steps, int Weight = GuestJobWeights.Light);

/// <summary>Relative costs of guest jobs under TCG, measured on the Debian fixture (bench/RESULTS.md).</summary>
public static class GuestJobWeights
{
    /// <summary>A package removal (dpkg --purge open-vm-tools: ~10 s).</summary>
    public const int Light = 1;

    /// <summary>grub-mkconfig (~20 s).</summary>
    public const int Bootloader = 2;

    /// <summary>An initramfs rebuild (~50 s): the critical path, so it gets a vCPU of its own.</summary>
    public const int Initramfs = 5;
}

/// <summary>What one step printed (stdout and stderr together) and its exit code.</summary>
public sealed record GuestStepResult(int ExitCode, string Output);

/// <summary>The steps of a job that ran (a failed step ends the job).</summary>
public sealed record GuestJobResult(string Name, IReadOnlyList<GuestStepResult> Steps, TimeSpan Elapsed)
{
    public bool Succeeded(int steps) => Steps.Count >= steps && Steps.Take(steps).All(s => s.ExitCode == 0);
}

/// <summary>
/// A fixup whose slow guest commands may run alongside other fixups' commands: it edits files in
/// <see cref="Prepare"/>, names its jobs, and finishes once they have run. The guest converter
/// runs the jobs of consecutive staged fixups together (one appliance call, on every vCPU);
/// <see cref="IGuestFixup.Apply"/> runs them one by one.
/// </summary>
public interface IStagedGuestFixup : IGuestFixup
{
    StagedFixup Prepare(GuestFixupContext context);
}

/// <summary>
/// A fixup that only edits guest files through the context (no guest commands), none of which a
/// staged fixup's job writes: it may run while staged jobs are pending, before they start.
/// </summary>
public interface IFileEditFixup : IGuestFixup;

/// <summary>A prepared fixup: its jobs, and how to finish from their results (same order).</summary>
public sealed class StagedFixup(IReadOnlyList<GuestJob> jobs, Func<IReadOnlyList<GuestJobResult>, FixupResult> complete)
{
    public IReadOnlyList<GuestJob> Jobs { get; } = jobs;

    public FixupResult Complete(IReadOnlyList<GuestJobResult> results) => complete(results);

    /// <summary>Nothing to run: the result is already known.</summary>
    public static StagedFixup Done(FixupResult result) => new([], _ => result);

    /// <summary>Runs the jobs one after another, then finishes.</summary>
    public FixupResult RunSequentially(IGuestFileSystem guest) => Complete(Jobs.Select(j => GuestJobRunner.RunOne(guest, j)).ToList());
}

/// <summary>
/// Runs guest jobs. One job: its steps through <see cref="IGuestFileSystem.Shell"/>. Several: one
/// shell script starts them all in the background inside the guest and waits, each writing its
/// output and exit codes to a private temporary folder that is read back in one call and removed.
/// </summary>
public static class GuestJobRunner
{
    private const string Separator = "@@v2v-job-file ";

    private const string DirMark = "@@v2v-job-dir ";

    /// <param name="lanes">How many jobs run at once (the appliance's vCPUs): jobs are dealt out longest first to the
    /// least loaded lane, and a lane runs its jobs one after another, so the longest job never shares a vCPU
    /// while shorter ones queue behind each other on the rest.</param>
    public static IReadOnlyList<GuestJobResult> Run(IGuestFileSystem guest, IReadOnlyList<GuestJob> jobs, int lanes = int.MaxValue) =>
        Run(guest, jobs, Lanes(jobs, lanes));

    /// <summary>Runs <paramref name="jobs"/> dealt out as <paramref name="lanes"/> says (from <see cref="Lanes"/>).</summary>
    public static IReadOnlyList<GuestJobResult> Run(IGuestFileSystem guest, IReadOnlyList<GuestJob> jobs, IReadOnlyList<IReadOnlyList<int>> lanes)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count <= 1)
        {
            return jobs.Select(j => RunOne(guest, j)).ToList();
        }

        var sw = System.Diagnostics.Stopwatch.StartNew();
        // One call runs the jobs, reads their files back and removes the folder (each guest shell costs about a second under TCG).
        var dump = guest.Shell(Script(jobs, lanes));
        var first = dump.Split('\n', 2)[0];
        var dir = first.StartsWith(DirMark, StringComparison.Ordinal) ? first[DirMark.Length..].Trim() : "";
        if (!dir.StartsWith("/tmp/v2v-jobs.", StringComparison.Ordinal))
        {
            throw new GuestfsException($"the guest job script did not report its folder (printed \"{first}\")");
        }

        return Parse(dump, dir, jobs, sw.Elapsed);
    }

    public static GuestJobResult RunOne(IGuestFileSystem guest, GuestJob job)
    {
        ArgumentNullException.ThrowIfNull(guest);
        ArgumentNullException.ThrowIfNull(job);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var steps = new List<GuestStepResult>();
        foreach (var step in job.Steps)
        {
            try
            {
                steps.Add(new GuestStepResult(0, guest.Shell(step + " 2>&1")));
            }
            catch (GuestfsException e)
            {
                steps.Add(new GuestStepResult(1, e.Message));
                break;
            }
        }

        return new GuestJobResult(job.Name, steps, sw.Elapsed);
    }

    /// <summary>
    /// Deals jobs (by index) out to at most <paramref name="lanes"/> lanes: heaviest first (ties in
    /// order), each to the lane with the least weight so far (the first such lane).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<int>> Lanes(IReadOnlyList<GuestJob> jobs, int lanes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        var result = Enumerable.Range(0, Math.Min(lanes, jobs.Count)).Select(_ => new List<int>()).ToList();
        var load = new long[result.Count];
        foreach (var i in Enumerable.Range(0, jobs.Count).OrderByDescending(i => jobs[i].Weight).ThenBy(i => i))
        {
            var lane = Array.IndexOf(load, load.Min());
            result[lane].Add(i);
            load[lane] += Math.Max(1, jobs[i].Weight);
        }

        return result;
    }

    /// <summary>
    /// The script that runs the lanes at once, each lane's jobs one after another (job i step k writes
    /// i.k.out, i.k.rc; job i writes i.ms), then prints the folder and every file in it, and removes it.
    /// </summary>
    internal static string Script(IReadOnlyList<GuestJob> jobs, IReadOnlyList<IReadOnlyList<int>> lanes)
    {
        var sb = new StringBuilder("d=$(mktemp -d /tmp/v2v-jobs.XXXXXX) || exit 1\n");
        foreach (var lane in lanes)
        {
            sb.Append("(\n");
            foreach (var i in lane)
            {
                sb.Append(" (\n  s=$(date +%s%N)\n");
                for (var k = 0; k < jobs[i].Steps.Count; k++)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"  ( {jobs[i].Steps[k]} ) > \"$d/{i}.{k}.out\" 2>&1 < /dev/null; r=$?; echo $r > \"$d/{i}.{k}.rc\"\n");
                    sb.Append(CultureInfo.InvariantCulture, $"  [ $r -eq 0 ] || {{ echo $(( ($(date +%s%N) - s) / 1000000 )) > \"$d/{i}.ms\"; exit 0; }}\n");
                }

                sb.Append(CultureInfo.InvariantCulture, $"  echo $(( ($(date +%s%N) - s) / 1000000 )) > \"$d/{i}.ms\"\n )\n");
            }

            sb.Append(") &\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"wait\necho \"{DirMark}$d\"\n");
        sb.Append(CultureInfo.InvariantCulture, $"for f in \"$d\"/*; do echo \"{Separator}$f\"; cat \"$f\"; echo; done\nrm -rf \"$d\"\n");
        return sb.ToString();
    }

    internal static IReadOnlyList<GuestJobResult> Parse(string dump, string dir, IReadOnlyList<GuestJob> jobs, TimeSpan fallback)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        var text = new StringBuilder();
        foreach (var line in dump.Split('\n'))
        {
            if (line.StartsWith(Separator, StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    files[current] = Trim(text);
                }

                current = line[Separator.Length..].Trim();
                current = current.StartsWith(dir + "/", StringComparison.Ordinal) ? current[(dir.Length + 1)..] : current;
                text.Clear();
            }
            else if (current is not null)
            {
                text.Append(line).Append('\n');
            }
        }

        if (current is not null)
        {
            files[current] = Trim(text);
        }

        var results = new List<GuestJobResult>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var steps = new List<GuestStepResult>();
            for (var k = 0; k < jobs[i].Steps.Count && files.TryGetValue($"{i}.{k}.rc", out var rc); k++)
            {
                var code = int.TryParse(rc.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 1;
                steps.Add(new GuestStepResult(code, files.GetValueOrDefault($"{i}.{k}.out", "")));
                if (code != 0)
                {
                    break;
                }
            }

            var elapsed = files.TryGetValue($"{i}.ms", out var ms) && long.TryParse(ms.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m >= 0
                ? TimeSpan.FromMilliseconds(m)
                : fallback;
            results.Add(new GuestJobResult(jobs[i].Name, steps, elapsed));
        }

        return results;
    }

    // The dump adds one newline after each file's content.
    private static string Trim(StringBuilder sb) => sb.Length > 0 && sb[^1] == '\n' ? sb.ToString(0, sb.Length - 1) : sb.ToString();
}
