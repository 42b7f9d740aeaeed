using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using V2VConverter.Formats.Disk;
using V2VConverter.Guest;
using V2VConverter.Guest.Inspection;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Pipeline;

/// <summary>DIR/NAME.report.json: each device before and after, each disk copied, each guest fixup with its changes.</summary>
public static class ConversionReport
{
    public static string ToJson(ConversionPlan plan, IReadOnlyList<DiskConvertResult> disks, GuestConversionReport? guest, IReadOnlyList<string> warnings)
    {
        var root = new JsonObject
        {
            ["name"] = plan.Name,
            ["source"] = plan.Source.Origin,
            ["devices"] = new JsonArray(PlanReport.Rows(plan).Select(r => (JsonNode)new JsonObject
            {
                ["device"] = r.Device,
                ["before"] = r.Source,
                ["after"] = r.Target,
                ["rule"] = r.Rule,
            }).ToArray()),
            ["decisions"] = new JsonArray(plan.Decisions.Select(d => (JsonNode)JsonValue.Create(d.ToString())!).ToArray()),
            ["disks"] = new JsonArray(disks.Select(d => (JsonNode)new JsonObject
            {
                ["output"] = d.OutputPath,
                ["virtualSize"] = d.VirtualSize,
                ["fileSize"] = d.OutputFileSize,
                ["dataBytesRead"] = d.DataBytesRead,
                ["seconds"] = Math.Round(d.Elapsed.TotalSeconds, 3),
            }).ToArray()),
            ["guest"] = guest is null ? null : JsonNode.Parse(GuestInspectionPrinter.ToJson(guest)),
            ["warnings"] = new JsonArray(warnings.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
