using System.Buffers;
using System.Text;
using System.Text.Json;
using V2VConverter.Pipeline.Batch;
using V2VConverter.Pipeline.Batch.Journal;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// The JSON lines of <c>v2v run --machine-readable</c>, one object per event:
/// <c>{"event":"started","vms":N,"parallel":N,"perHost":N}</c>, <c>{"event":"state","vm":"web01","state":"copying","detail":null}</c>,
/// <c>{"event":"progress","vm":"web01","done":N,"total":N}</c> and
/// <c>{"event":"finished","vms":N,"done":N,"failed":N,"blocked":N,"skipped":N,"elapsedSeconds":N}</c>.
/// States are named as in the documents (kebab-case).
/// </summary>
internal static class BatchEventJson
{
    public static string Started(int vms, int parallel, int perHost) => Line(w =>
    {
        w.WriteString("event", "started");
        w.WriteNumber("vms", vms);
        w.WriteNumber("parallel", parallel);
        w.WriteNumber("perHost", perHost);
    });

    public static string State(string vm, BatchVmState state, string? detail) => Line(w =>
    {
        w.WriteString("event", "state");
        w.WriteString("vm", vm);
        w.WriteString("state", BatchText.Name(state));
        w.WriteString("detail", detail);
    });

    public static string Progress(string vm, long done, long total) => Line(w =>
    {
        w.WriteString("event", "progress");
        w.WriteString("vm", vm);
        w.WriteNumber("done", done);
        w.WriteNumber("total", total);
    });

    public static string Finished(BatchRunSummary summary) => Line(w =>
    {
        w.WriteString("event", "finished");
        w.WriteNumber("vms", summary.Vms.Count);
        w.WriteNumber("done", summary.Count(BatchVmState.Done));
        w.WriteNumber("failed", summary.Count(BatchVmState.Failed));
        w.WriteNumber("blocked", summary.Count(BatchVmState.Blocked));
        w.WriteNumber("skipped", summary.Count(BatchVmState.Skipped));
        w.WriteNumber("elapsedSeconds", Math.Round(summary.Elapsed.TotalSeconds, 3));
    });

    private static string Line(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
