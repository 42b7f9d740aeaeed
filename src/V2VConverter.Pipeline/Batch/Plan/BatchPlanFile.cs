using System.Globalization;
using System.Text;
using V2VConverter.Model.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace V2VConverter.Pipeline.Batch.Plan;

/// <summary>One problem of a plan file, at a line (1-based; 0 when the whole file is meant).</summary>
public sealed record PlanError(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>A plan that does not validate: every error with its line. The message is the first error (and how many more).</summary>
public sealed class PlanValidationException(IReadOnlyList<PlanError> errors)
    : FormatException(errors.Count == 1 ? errors[0].ToString() : $"{errors[0]} (and {errors.Count - 1} more: v2v plan --check shows them all)")
{
    public IReadOnlyList<PlanError> Errors { get; } = errors;
}

/// <summary>A plan read from its file, with the lines of its nodes for messages.</summary>
public sealed class LoadedPlan
{
    private readonly YamlMappingNode? _root;

    internal LoadedPlan(string path, BatchPlanDocument document, YamlMappingNode? root)
    {
        Path = path;
        Document = document;
        _root = root;
    }

    /// <summary>The plan file (absolute).</summary>
    public string Path { get; }

    public BatchPlanDocument Document { get; }

    public BatchPaths Paths => new(Path);

    /// <summary>The line of <c>vms[vm]</c> (or of one of its keys, or of <c>nics[i]</c>/<c>disks[i]</c>/<c>concerns[i]</c> and their keys); 0 when unknown.</summary>
    public int LineOf(int vm, string? key = null, int? item = null, string? itemKey = null)
    {
        if (_root is null || !_root.Children.TryGetValue(new YamlScalarNode("vms"), out var vms) || vms is not YamlSequenceNode seq || vm < 0 || vm >= seq.Children.Count)
        {
            return 0;
        }

        var node = seq.Children[vm];
        if (key is not null && node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var child))
        {
            node = child;
            if (item is { } i && node is YamlSequenceNode items && i >= 0 && i < items.Children.Count)
            {
                node = items.Children[i];
                if (itemKey is not null && node is YamlMappingNode im && im.Children.TryGetValue(new YamlScalarNode(itemKey), out var leaf))
                {
                    node = leaf;
                }
            }
        }

        return (int)node.Start.Line;
    }

    /// <summary>The line of a top-level key's value (<c>output</c>, <c>source</c>...) or of one of its keys.</summary>
    public int LineOfSection(string section, string? key = null)
    {
        if (_root is null || !_root.Children.TryGetValue(new YamlScalarNode(section), out var node))
        {
            return 0;
        }

        if (key is not null && node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var child))
        {
            node = child;
        }

        return (int)node.Start.Line;
    }
}

/// <summary>Writes a plan as commented YAML and reads one back (YamlDotNet), refusing unknown keys with their line.</summary>
public static class BatchPlanFile
{
    /// <summary>A plan file larger than this is refused before it is read (a 10,000-VM plan is a few MiB).</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        .DisableAliases()
        .Build();

    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    /// <summary>The header every plan starts with: how to edit and use it.</summary>
    public const string Header =
        """
        # v2v batch plan. Review it, edit it, check it, run it:
        #   ./v2v plan --check THIS.yaml      validates an edit (errors with line numbers)
        #   ./v2v run THIS.yaml [--parallel N] [--per-host N] [--shutdown-source]
        #   ./v2v status THIS.yaml            what the run's journal says
        # Per VM you may edit: target (the domain and file names), skip: true (leave it out), guestFixups: false
        # (copy only, compatibility devices), a NIC's target
        # (bridge:NAME or network:NAME), a disk's storage (a folder for -o local, a pool for -o libvirt), and a
        # concern's severity: a VM with a "blocker" does not run; change it to "accepted" to run it anyway.
        # Do not edit id, ref, source, index or key: they say which VM, NIC and disk is meant.

        """;

    /// <summary>The plan as YAML, header first.</summary>
    public static string Serialize(BatchPlanDocument plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var sb = new StringBuilder(Header);
        var counts = plan.Vms.SelectMany(v => v.Concerns).GroupBy(c => c.Severity).ToDictionary(g => g.Key, g => g.Count());
        sb.Append(CultureInfo.InvariantCulture, $"# {plan.Vms.Count} VMs; concerns: {counts.GetValueOrDefault("blocker")} blockers, {counts.GetValueOrDefault("warning")} warnings, {counts.GetValueOrDefault("info")} info\n");
        sb.Append(Serializer.Serialize(plan));
        return sb.ToString();
    }

    /// <summary>Reads and validates <paramref name="path"/>; throws <see cref="PlanValidationException"/> with every error and its line.</summary>
    public static LoadedPlan Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        var text = InputFile.ReadAllText(full, MaxBytes);
        var plan = Parse(full, text);
        var errors = BatchPlanValidator.Validate(plan);
        if (errors.Count > 0)
        {
            throw new PlanValidationException(errors);
        }

        return plan;
    }

    /// <summary>Parses without the semantic checks (YAML syntax and keys only).</summary>
    public static LoadedPlan Parse(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        BatchPlanDocument? doc;
        YamlMappingNode? root = null;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count > 0)
            {
                root = stream.Documents[0].RootNode as YamlMappingNode;
                if (root is null)
                {
                    throw new PlanValidationException([new PlanError(path, (int)stream.Documents[0].RootNode.Start.Line, "a plan is a mapping with source, output, mappings and vms")]);
                }
            }

            doc = Deserializer.Deserialize<BatchPlanDocument>(text);
        }
        catch (YamlException ex)
        {
            // YamlDotNet's message repeats the position; keep its last part (the cause).
            var cause = ex.InnerException is { } inner && inner is not YamlException ? inner.Message : ex.Message;
            var colon = cause.IndexOf("): ", StringComparison.Ordinal);
            cause = colon >= 0 ? cause[(colon + 3)..] : cause;
            throw new PlanValidationException([new PlanError(path, (int)ex.Start.Line, cause.ReplaceLineEndings(" ").Trim())]);
        }

        if (doc is null)
        {
            throw new PlanValidationException([new PlanError(path, 0, "the plan is empty")]);
        }

        return new LoadedPlan(path, doc, root);
    }

    /// <summary>Writes the plan to <paramref name="path"/> through a temporary name (never half a file under the final name).</summary>
    public static void Save(BatchPlanDocument plan, string path) =>
        V2VConverter.Formats.Disk.AtomicOutputFile.WriteAllText(path, Serialize(plan), replace: true);
}
