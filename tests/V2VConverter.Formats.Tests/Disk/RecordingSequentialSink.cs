using Microsoft.Win32.SafeHandles;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Tests.Disk;

/// <summary>What a <see cref="RecordingSequentialSink"/> was asked to do.</summary>
public enum SinkCall
{
    Write,
    SetLength,
    Flush,
    Header,
}

/// <summary>
/// A sequential <see cref="IImageSink"/> that behaves like an upload stream and enforces its contract: any backward
/// write or length, any call after the header, a second header, a header before the body was flushed or over body
/// bytes is recorded in <see cref="Violations"/> and thrown. What it receives is reassembled into a file (gaps stay
/// holes), so qemu-img can judge the image the stream would have produced.
/// </summary>
public sealed class RecordingSequentialSink : IImageSink, IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly List<(long Start, long End)> _bodyWrites = [];
    private long _end;
    private int _flushes;

    public RecordingSequentialSink(string reassembledPath, Func<int, Exception?>? failOnWrite = null)
    {
        Path = reassembledPath;
        FailOnWrite = failOnWrite;
        _file = File.OpenHandle(reassembledPath, FileMode.CreateNew, FileAccess.ReadWrite);
    }

    public string Name => "pool/test-volume";

    public bool IsRandomAccess => false;

    public string Path { get; }

    /// <summary>Given the 0-based index of a body write, an exception to throw instead of writing (a broken upload).</summary>
    public Func<int, Exception?>? FailOnWrite { get; }

    public List<(SinkCall Kind, long Offset, long Length)> Calls { get; } = [];

    public List<string> Violations { get; } = [];

    public int HeaderWrites => Calls.Count(c => c.Kind == SinkCall.Header);

    public long BodyBytes => _bodyWrites.Sum(w => w.End - w.Start);

    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        lock (Calls)
        {
            var index = Calls.Count(c => c.Kind == SinkCall.Write);
            if (FailOnWrite?.Invoke(index) is { } failure)
            {
                throw failure;
            }

            NotAfterHeader($"write at {offset}");
            Check(offset >= _end, $"backward write at {offset}, before the end {_end} of the previous write");
            Calls.Add((SinkCall.Write, offset, data.Length));
            RandomAccess.Write(_file, data, offset);
            if (data.Length > 0)
            {
                _bodyWrites.Add((offset, offset + data.Length));
            }

            _end = offset + data.Length;
        }
    }

    public void SetLength(long length)
    {
        lock (Calls)
        {
            NotAfterHeader($"length {length}");
            Check(length >= _end, $"length {length} cuts the previous write, which ended at {_end}");
            Calls.Add((SinkCall.SetLength, 0, length));
            RandomAccess.SetLength(_file, length);
            _end = length;
        }
    }

    public void Flush()
    {
        lock (Calls)
        {
            NotAfterHeader("flush");
            Calls.Add((SinkCall.Flush, 0, 0));
            _flushes++;
        }
    }

    public void WriteHeader(ReadOnlySpan<byte> data, long offset)
    {
        lock (Calls)
        {
            NotAfterHeader("a second header");
            Check(_flushes == 1, $"header written after {_flushes} flushes of the body (expected exactly one)");
            Check(offset + data.Length <= _end, $"header [{offset}, {offset + data.Length}) lies past the image's end {_end}");
            var end = offset + data.Length;
            var over = _bodyWrites.FirstOrDefault(w => w.Start < end && offset < w.End);
            Check(over == default, $"header [{offset}, {end}) overwrites body bytes [{over.Start}, {over.End})");
            Calls.Add((SinkCall.Header, offset, data.Length));
            RandomAccess.Write(_file, data, offset);
        }
    }

    public void Dispose() => _file.Dispose();

    private void NotAfterHeader(string call) => Check(HeaderWrites == 0, $"{call} after the header");

    private void Check(bool ok, string violation)
    {
        if (!ok)
        {
            Violations.Add(violation);
            throw new InvalidOperationException($"sequential sink: {violation}");
        }
    }
}
