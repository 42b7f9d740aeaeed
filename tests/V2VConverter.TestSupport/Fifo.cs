using System.Runtime.InteropServices;

namespace V2VConverter.TestSupport;

/// <summary>
/// Named pipes for tests of input opening. A reader that opens a FIFO blocks until a writer comes, so every
/// test runs its action under <see cref="WithinDeadline{T}"/>: a regression fails in seconds instead of
/// hanging the suite (the stuck reader is released by opening the FIFO for writing).
/// </summary>
public static class Fifo
{
    private const int OWrOnly = 1;
    private const int ONonBlock = 0x800;

    /// <summary>The default deadline: generous for a loaded machine, short against a hang.</summary>
    public static TimeSpan Deadline { get; } = TimeSpan.FromSeconds(20);

    /// <summary>Creates a FIFO (mode 0600) at <paramref name="path"/>.</summary>
    public static string Make(string path)
    {
        if (mkfifo(path, Convert.ToInt32("600", 8)) != 0)
        {
            throw new IOException($"mkfifo {path} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return path;
    }

    /// <summary>
    /// Runs <paramref name="action"/> and returns its result, or fails the test when it has not finished within
    /// <see cref="Deadline"/>; then each FIFO in <paramref name="fifos"/> is opened for writing and closed, which
    /// releases a reader stuck on it.
    /// </summary>
    public static T WithinDeadline<T>(Func<T> action, params string[] fifos)
    {
        var task = Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (task.Wait(Deadline))
        {
            return task.Result;
        }

        foreach (var f in fifos)
        {
            Release(f);
        }

        throw new Xunit.Sdk.XunitException($"did not finish within {Deadline.TotalSeconds} s: a FIFO ({string.Join(", ", fifos)}) was opened and blocked");
    }

    /// <summary>Runs <paramref name="action"/> under <see cref="WithinDeadline{T}"/> and returns what it threw (null when nothing).</summary>
    public static Exception? ThrowsWithinDeadline(Action action, params string[] fifos) =>
        WithinDeadline<Exception?>(
            () =>
            {
                try
                {
                    action();
                    return null;
                }
#pragma warning disable CA1031 // the test asserts on whatever was thrown
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    return ex;
                }
            },
            fifos);

    private static void Release(string fifo)
    {
        var fd = open(fifo, OWrOnly | ONonBlock);
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

#pragma warning disable SYSLIB1054, CA5392 // test-only P/Invoke; DllImport is enough.
    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054, CA5392
}
