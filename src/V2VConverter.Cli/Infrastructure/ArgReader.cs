using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// A small, strict option reader. Options are declared by the command as it reads them:
/// <c>Flag("--json")</c>, <c>Value("-o", "--output")</c>, <c>Values("--bridge")</c>; then
/// <c>Positionals()</c> and <c>EnsureAllConsumed()</c> reject anything unknown (exit code 2).
/// Accepts <c>--opt value</c> and <c>--opt=value</c>; <c>--</c> ends options.
/// </summary>
public sealed class ArgReader
{
    private readonly List<string?> _args;

    public ArgReader(IEnumerable<string> args) => _args = args.Select(a => (string?)a).ToList();

    public bool Flag(params string[] names)
    {
        var found = false;
        for (var i = 0; i < _args.Count; i++)
        {
            var a = _args[i];
            if (a == "--")
            {
                break;
            }

            if (a is not null && names.Contains(a, StringComparer.Ordinal))
            {
                _args[i] = null;
                found = true;
            }
        }

        return found;
    }

    public string? Value(params string[] names)
    {
        var all = Values(names);
        if (all.Count > 1)
        {
            throw new UsageException($"option {names[0]} given more than once");
        }

        return all.Count == 0 ? null : all[0];
    }

    public IReadOnlyList<string> Values(params string[] names)
    {
        var result = new List<string>();
        for (var i = 0; i < _args.Count; i++)
        {
            var a = _args[i];
            if (a == "--")
            {
                break;
            }

            if (a is null)
            {
                continue;
            }

            foreach (var n in names)
            {
                if (a == n)
                {
                    if (i + 1 >= _args.Count || _args[i + 1] is null)
                    {
                        throw new UsageException($"option {n} needs a value");
                    }

                    result.Add(_args[i + 1]!);
                    _args[i] = null;
                    _args[i + 1] = null;
                    break;
                }

                if (a.StartsWith(n + "=", StringComparison.Ordinal))
                {
                    result.Add(a[(n.Length + 1)..]);
                    _args[i] = null;
                    break;
                }
            }
        }

        return result;
    }

    public int? IntValue(params string[] names)
    {
        var v = Value(names);
        if (v is null)
        {
            return null;
        }

        return int.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"option {names[0]} needs a whole number, not \"{v}\"");
    }

    /// <summary>Takes the remaining non-option arguments; anything starting with '-' left over is a usage error.</summary>
    public IReadOnlyList<string> Positionals(int min, int max, string what)
    {
        var result = new List<string>();
        var afterDashes = false;
        for (var i = 0; i < _args.Count; i++)
        {
            var a = _args[i];
            if (a is null)
            {
                continue;
            }

            if (!afterDashes && a == "--")
            {
                afterDashes = true;
                _args[i] = null;
                continue;
            }

            if (!afterDashes && a.Length > 1 && a[0] == '-')
            {
                throw new UsageException($"unknown option {a}");
            }

            result.Add(a);
            _args[i] = null;
        }

        if (result.Count < min)
        {
            throw new UsageException($"missing {what}");
        }

        if (result.Count > max)
        {
            throw new UsageException($"unexpected argument \"{result[max]}\"");
        }

        return result;
    }
}
