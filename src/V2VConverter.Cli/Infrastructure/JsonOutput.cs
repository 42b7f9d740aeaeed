using System.Text.Encodings.Web;
using System.Text.Json;

namespace V2VConverter.Cli.Infrastructure;

public static class JsonOutput
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
