using Microsoft.Win32.SafeHandles;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Raw;

/// <summary>
/// Raw image writer. Sparse by default: all-zero 4 KiB blocks, zero and unallocated ranges are left as holes in a file
/// sized with SetLength. <see cref="DiskPreallocation.Full"/> writes every byte; <see cref="DiskPreallocation.Falloc"/>
/// relies on the space reserved when the file was created.
/// </summary>
internal sealed class RawWriter : IDiskTarget
{
    public const int ZeroBlockSize = 4096;
    private const int ZeroFillBuffer = 1024 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private readonly DiskPreallocation _preallocation;
    private long _filledTo;

    public RawWriter(SafeFileHandle handle, long length, DiskPreallocation preallocation)
    {
        _handle = handle;
        _length = length;
        _preallocation = preallocation;
        RandomAccess.SetLength(handle, length);
    }

    public int BlockSize => ZeroBlockSize;

    public bool WantsCompression => false;

    public void Write(DiskChunk chunk)
    {
        var data = chunk.Data!;
        var states = chunk.BlockState!;
        if (_preallocation == DiskPreallocation.Full)
        {
            FillZeros(chunk.Offset);
            RandomAccess.Write(_handle, data.AsSpan(0, chunk.Length), chunk.Offset);
            _filledTo = chunk.Offset + chunk.Length;
            return;
        }

        var count = chunk.BlockCount;
        var i = 0;
        while (i < count)
        {
            if (states[i] == DiskChunk.Zero)
            {
                i++;
                continue;
            }

            var j = i + 1;
            while (j < count && states[j] != DiskChunk.Zero)
            {
                j++;
            }

            var start = i * BlockSize;
            var end = Math.Min(j * BlockSize, chunk.Length);
            RandomAccess.Write(_handle, data.AsSpan(start, end - start), chunk.Offset + start);
            i = j;
        }
    }

    public void Finish(bool fsync)
    {
        if (_preallocation == DiskPreallocation.Full)
        {
            FillZeros(_length);
        }

        RandomAccess.SetLength(_handle, _length);
    }

    private void FillZeros(long upTo)
    {
        if (_filledTo >= upTo)
        {
            return;
        }

        var zeros = new byte[(int)Math.Min(ZeroFillBuffer, upTo - _filledTo)];
        while (_filledTo < upTo)
        {
            var n = (int)Math.Min(zeros.Length, upTo - _filledTo);
            RandomAccess.Write(_handle, zeros.AsSpan(0, n), _filledTo);
            _filledTo += n;
        }
    }
}
