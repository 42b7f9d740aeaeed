using System.Text;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// Writes through to another writer with every registered secret masked (<see cref="Secrets.Mask"/>): what a command
/// prints itself (tables, summaries, XML) passes the same rule as the log and the error line. Nothing is buffered, so
/// a secret is masked when one write carries it whole, as every line the commands write does.
/// </summary>
internal sealed class MaskingWriter(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => inner.Write(value);

    public override void Write(string? value) => inner.Write(Secrets.Mask(value ?? ""));

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine() => inner.WriteLine();

    public override void WriteLine(string? value) => inner.WriteLine(Secrets.Mask(value ?? ""));

    public override void Flush() => inner.Flush();

    public override string ToString() => inner.ToString() ?? "";
}
