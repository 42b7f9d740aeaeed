using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Pipeline.Logging;

/// <summary>
/// The run's JSON log file. Serilog's file sink opens its path with a plain create (it would follow a link planted at
/// the log's name, or append to a file there), so this sink creates the file itself: exclusively, never through a link
/// (O_CREAT|O_EXCL|O_NOFOLLOW), mode 0600. When the name is taken (two runs in the same second) it takes
/// <c>NAME-2.log.json</c> and so on. Each event is written and flushed to the kernel at once.
/// </summary>
public sealed class LogFileSink : ILogEventSink, IDisposable
{
    private readonly Lock _gate = new();
    private readonly StreamWriter _writer;
    private readonly ITextFormatter _formatter;
    private bool _disposed;

    private LogFileSink(string path, StreamWriter writer, ITextFormatter formatter)
    {
        Path = path;
        _writer = writer;
        _formatter = formatter;
    }

    /// <summary>The file actually created.</summary>
    public string Path { get; }

    public static LogFileSink Create(string path, ITextFormatter formatter)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(formatter);
        const string extension = ".log.json";
        var stem = path.EndsWith(extension, StringComparison.Ordinal) ? path[..^extension.Length] : path;
        for (var n = 1; ; n++)
        {
            var candidate = n == 1 ? path : string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}{(stem.Length < path.Length ? extension : "")}");
            try
            {
                var handle = NativeFile.CreateExclusive(candidate, AtomicOutputFile.PrivateMode);
                var stream = new FileStream(handle, FileAccess.ReadWrite, 4096);
                return new LogFileSink(candidate, new StreamWriter(stream, new UTF8Encoding(false)), formatter);
            }
            catch (IOException ex) when (NativeFile.IsAlreadyExists(ex) && n < 20)
            {
            }
        }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _formatter.Format(logEvent, _writer);
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writer.Dispose();
        }
    }
}
