using V2VConverter.Formats.Disk;

namespace V2VConverter.Pipeline.Contracts;

/// <summary>One disk the copy stage is about to write: its label (the output file or volume) and its virtual size when known.</summary>
public sealed record DiskCopyInfo(string Label, long? VirtualSize);

/// <summary>How a <see cref="ConversionJob"/> reports its copy stage (the CLI draws bars; a test can record).</summary>
public interface IConversionProgress
{
    /// <summary>Called once, after every check and before the first byte is copied.</summary>
    void CopyStarting(IReadOnlyList<DiskCopyInfo> disks, int parallelDisks);

    /// <summary>Disk <paramref name="index"/> has copied <see cref="DiskProgress.Done"/> of <see cref="DiskProgress.Total"/> bytes. Called from copy threads.</summary>
    void DiskProgress(int index, DiskProgress progress);

    /// <summary>The copy stage ended (successfully or not).</summary>
    void CopyFinished();
}
