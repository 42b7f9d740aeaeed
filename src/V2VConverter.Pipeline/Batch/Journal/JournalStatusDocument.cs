using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using V2VConverter.Pipeline.Documents;

namespace V2VConverter.Pipeline.Batch.Journal;

/// <summary><c>v2v status PLAN.yaml --json</c>: every VM's latest state in the journal, in the order they first appeared.</summary>
public sealed record JournalStatusDocument : IVersionedDocument
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>Where the journal lives (<see cref="IBatchJournal.Location"/>).</summary>
    public required string Journal { get; init; }

    public required IReadOnlyList<JournalStatusVm> Vms { get; init; }

    public static JournalStatusDocument Create(IBatchJournal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return new JournalStatusDocument
        {
            Journal = journal.Location,
            Vms = journal.Statuses().Select(s => JournalStatusVm.Of(s, journal.Outputs(s.Vm))).ToList(),
        };
    }

    /// <summary>The document as JSON, with the options of every other document (<see cref="DocumentJsonContext.Readable"/>).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JournalJsonContext.TypeInfo);
}

/// <summary>One VM: its state (kebab-case), attempt, detail (a failure's reason), the copy's disk and offset, when it changed, its outputs.</summary>
public sealed record JournalStatusVm
{
    public required string Vm { get; init; }

    /// <summary>planned, shutting-down, preparing, copying, converting-guest, finalizing, done, failed, blocked, skipped.</summary>
    public required string State { get; init; }

    public required int Attempt { get; init; }

    public string? Detail { get; init; }

    public int? Disk { get; init; }

    public long? Offset { get; init; }

    public required DateTimeOffset Updated { get; init; }

    public required IReadOnlyList<JournalStatusOutput> Outputs { get; init; }

    public static JournalStatusVm Of(JournalVmStatus status, IReadOnlyList<JournalOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(outputs);
        return new JournalStatusVm
        {
            Vm = status.Vm,
            State = DocumentNames.Of(status.State),
            Attempt = status.Attempt,
            Detail = status.Detail,
            Disk = status.Disk,
            Offset = status.Offset,
            Updated = status.Updated,
            Outputs = outputs.Select(o => new JournalStatusOutput(o.Kind, o.Location, o.Size, o.Digest)).ToList(),
        };
    }
}

/// <summary>One recorded output of a VM (<see cref="JournalOutput"/> without the VM).</summary>
public sealed record JournalStatusOutput(string Kind, string Location, long? Size, string? Digest);

/// <summary>
/// The source-generated metadata of <see cref="JournalStatusDocument"/>, used with a copy of the options of
/// <see cref="DocumentJsonContext.Readable"/> (camelCase, every key written, readable non-ASCII, secrets masked).
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(JournalStatusDocument))]
internal sealed partial class JournalJsonContext : JsonSerializerContext
{
    public static JsonTypeInfo<JournalStatusDocument> TypeInfo => Holder.Instance;

    private static class Holder
    {
        public static readonly JsonTypeInfo<JournalStatusDocument> Instance = (JsonTypeInfo<JournalStatusDocument>)new JsonSerializerOptions(DocumentJsonContext.Readable.Options)
        {
            TypeInfoResolver = Default,
        }.GetTypeInfo(typeof(JournalStatusDocument));
    }
}
