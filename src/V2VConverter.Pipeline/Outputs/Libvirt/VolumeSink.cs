using V2VConverter.Formats.Disk;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;

namespace V2VConverter.Pipeline.Outputs.Libvirt;

/// <summary>
/// An image writer's bytes streamed into a libvirt volume (virStorageVolUpload): the body as one upload from byte 0,
/// gaps sent as holes (a sparse upload into a file pool) or as zeros (a block device); then, for qcow2, the header as a second
/// upload at its offset. Nothing is staged: each write goes out from the writer's own buffer.
/// </summary>
internal sealed class VolumeSink(StorageVolume volume, bool sparse, string label) : IImageSink, IDisposable
{
    private VolumeUpload? _body;
    private long _position;
    private long _length;
    private bool _bodyDone;

    public string Name => label;

    public bool IsRandomAccess => false;

    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        if (_bodyDone)
        {
            throw new InvalidOperationException($"{label}: a body write after the header");
        }

        if (_body is null)
        {
            // From byte 0, so that a block device's old bytes never show through (a qcow2's header cluster follows later).
            _body = volume.Upload(0, 0, sparse);
            _position = 0;
        }

        if (offset < _position)
        {
            throw new InvalidOperationException($"{label}: write at {offset} after {_position}; an upload only goes forward");
        }

        if (offset > _position)
        {
            _body.SendHole(offset - _position);
        }

        _body.Send(data);
        _position = offset + data.Length;
    }

    public void SetLength(long length) => _length = length;

    /// <summary>The writers flush once, when the body is complete: the body upload ends here (a full pool shows now).</summary>
    public void Flush() => FinishBody();

    public void WriteHeader(ReadOnlySpan<byte> data, long offset)
    {
        FinishBody();
        using var header = volume.Upload(offset, data.Length, sparse: false);
        header.Send(data);
        header.Finish();
    }

    /// <summary>Ends the upload: the tail up to the image's length, then the stream's finish (where a full pool shows).</summary>
    public void Complete() => FinishBody();

    private void FinishBody()
    {
        if (_bodyDone)
        {
            return;
        }

        if (_body is null && _length > 0)
        {
            _body = volume.Upload(0, 0, sparse);
            _position = 0;
        }

        if (_body is not null)
        {
            if (_length > _position)
            {
                _body.SendHole(_length - _position);
                _position = _length;
            }

            _body.Finish();
        }

        _bodyDone = true;
    }

    public void Dispose() => _body?.Dispose(); // aborts an upload that did not finish
}
