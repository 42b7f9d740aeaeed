namespace V2VConverter.Pipeline.Batch.Run;

/// <summary>
/// One run of a plan at a time: an exclusive lock (flock) on <c>PLAN.lock</c>, held for the run. The kernel drops it
/// when the process dies, so a <c>kill -9</c> never leaves a stale lock behind.
/// </summary>
public sealed class BatchRunLock : IDisposable
{
    private readonly FileStream _file;

    private BatchRunLock(FileStream file) => _file = file;

    /// <summary>Takes the lock, or throws <see cref="IOException"/> naming the plan when another run holds it.</summary>
    public static BatchRunLock Take(BatchPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        try
        {
            // FileShare.None is an exclusive flock(2) on Linux.
            return new BatchRunLock(new FileStream(paths.Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new IOException($"{paths.PlanFile}: another run of this plan is going (it holds {paths.Lock}); wait for it, or stop it", ex);
        }
    }

    public void Dispose() => _file.Dispose();
}
