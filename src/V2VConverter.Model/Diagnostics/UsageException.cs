namespace V2VConverter.Model.Diagnostics;

/// <summary>
/// Exception policy (STYLE.md habit 3), written down once:
/// <list type="bullet">
/// <item><see cref="InvalidDataException"/>: malformed data; the message names the file, field and value.</item>
/// <item><see cref="EndOfStreamException"/>: truncated data.</item>
/// <item><see cref="NotSupportedException"/>: valid but unsupported input.</item>
/// <item><see cref="FileNotFoundException"/>/<see cref="DirectoryNotFoundException"/>/<see cref="UnauthorizedAccessException"/>/<see cref="IOException"/>: environment problems.</item>
/// <item><see cref="UsageException"/>: the command line is wrong (exit code 2).</item>
/// <item><see cref="ArgumentException"/>: a programming error by a library caller.</item>
/// </list>
/// The CLI maps each to an exit code (<see cref="ExitCodes"/>) and a one-line message.
/// </summary>
public sealed class UsageException(string message) : Exception(message);
