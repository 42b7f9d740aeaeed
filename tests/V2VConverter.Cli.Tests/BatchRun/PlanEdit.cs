namespace V2VConverter.Cli.Tests.BatchRun;

/// <summary>Edits a plan's YAML as a person does in an editor: one line changed in place, comments and order kept.</summary>
internal static class PlanEdit
{
    /// <summary>Sets <c>key: value</c> of the VM whose <c>name</c> is <paramref name="name"/> (the only one of that name).</summary>
    public static string Set(string yaml, string name, string key, string value) => Edit(yaml, Block(yaml, $"  name: {name}"), null, key, value);

    /// <summary>Sets <c>key: value</c> of the VM with id <paramref name="id"/>.</summary>
    public static string SetById(string yaml, string id, string key, string value) => Edit(yaml, Block(yaml, $"- id: {id}"), null, key, value);

    /// <summary>Sets <c>key: value</c> in the first item of the VM's list <paramref name="list"/> (nics, disks, concerns).</summary>
    public static string SetNested(string yaml, string name, string list, string key, string value) => Edit(yaml, Block(yaml, $"  name: {name}"), list, key, value);

    private static (int Start, int End) Block(string yaml, string marker)
    {
        var lines = yaml.Split('\n');
        var hit = Array.FindIndex(lines, l => l == marker);
        if (hit < 0 || Array.FindLastIndex(lines, l => l == marker) != hit)
        {
            throw new ArgumentException($"the plan has no single line \"{marker}\"");
        }

        var start = Array.FindLastIndex(lines, hit, l => l.StartsWith("- id: ", StringComparison.Ordinal));
        var end = Array.FindIndex(lines, hit + 1, l => l.StartsWith("- id: ", StringComparison.Ordinal) || (l.Length > 0 && !l.StartsWith(' ') && !l.StartsWith('-')));
        return (start, end < 0 ? lines.Length : end);
    }

    private static string Edit(string yaml, (int Start, int End) block, string? list, string key, string value)
    {
        var lines = yaml.Split('\n');
        var from = block.Start;
        var indent = "  ";
        if (list is not null)
        {
            from = Array.FindIndex(lines, block.Start, block.End - block.Start, l => l == $"  {list}:");
            if (from < 0)
            {
                throw new ArgumentException($"the VM at line {block.Start + 1} has no {list}");
            }

            indent = "    ";
        }

        var at = Array.FindIndex(lines, from, block.End - from, l => l.StartsWith(indent + key + ":", StringComparison.Ordinal) || (key == "index" && l.StartsWith("  - " + key + ":", StringComparison.Ordinal)));
        if (at < 0)
        {
            throw new ArgumentException($"no \"{key}:\" in the VM at line {block.Start + 1}");
        }

        lines[at] = $"{indent}{key}: {value}";
        return string.Join('\n', lines);
    }
}
