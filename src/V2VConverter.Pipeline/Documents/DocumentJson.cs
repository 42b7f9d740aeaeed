using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Pipeline.Documents;

/// <summary>A JSON document the tool writes: <c>schemaVersion</c> comes first, and changes when a key changes meaning or goes away.</summary>
public interface IVersionedDocument
{
    int SchemaVersion { get; }
}

/// <summary>
/// The one set of serializer options of every JSON document the tool writes (<c>inspect --json</c>,
/// <c>NAME.report.json</c>, <c>inventory --json</c>, <c>disk info --json</c>), source-generated.
/// Keys are camelCase; every property of a record is always written (null when unknown), so a
/// document's keys are exactly its record's properties. Enums are written as kebab-case strings
/// by the records themselves (<see cref="DocumentNames.Of{T}(T)"/>).
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InspectDocument))]
[JsonSerializable(typeof(ConversionReportDocument))]
[JsonSerializable(typeof(InventoryDocument))]
[JsonSerializable(typeof(DiskInfoDocument))]
[JsonSerializable(typeof(BatchPlanReportDocument))]
[JsonSerializable(typeof(GuestInspectionSection))]
[JsonSerializable(typeof(GuestConversionSection))]
public sealed partial class DocumentJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The instance every writer uses: the options above plus an encoder that keeps non-ASCII text
    /// (VM names, guest file lines) readable instead of <c>\uXXXX</c>. The attribute cannot set an encoder.
    /// </summary>
    public static DocumentJsonContext Readable => ReadableHolder.Instance;

    // A holder of its own, so that Default (a static of the generated half of this class) exists when it is copied.
    private static class ReadableHolder
    {
        public static readonly DocumentJsonContext Instance = new(new JsonSerializerOptions(Default.Options)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            Converters = { new MaskedStringConverter() },
        });
    }
}

/// <summary>
/// Writes every string value through <see cref="Secrets.Mask"/>: a document quotes text from servers and
/// guests (a VM name, a fault), and a registered password must not reach a report or stdout. Masking the
/// value, not the serialized text, keeps the document valid JSON whatever the password holds.
/// </summary>
internal sealed class MaskedStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(Secrets.Mask(value));
    }

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString()!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(Secrets.Mask(value));
    }
}

/// <summary>Writes and reads the documents through <see cref="DocumentJsonContext.Readable"/>.</summary>
public static class DocumentJson
{
    public static string Serialize<T>(T document)
        where T : class => JsonSerializer.Serialize(document, TypeInfo<T>());

    public static T? Deserialize<T>(string json)
        where T : class => JsonSerializer.Deserialize(json, TypeInfo<T>());

    private static JsonTypeInfo<T> TypeInfo<T>() =>
        DocumentJsonContext.Readable.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
        ?? throw new ArgumentException($"{typeof(T).Name} is not a document of {nameof(DocumentJsonContext)}", nameof(T));
}

/// <summary>How enum values are named in the documents: <c>InitramfsTools</c> → <c>initramfs-tools</c>.</summary>
public static class DocumentNames
{
    public static string Of<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
