using V2VConverter.Mapping.Plan;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Pipeline.Batch.Plan;

/// <summary>The checks of an edited plan that need nothing but the file: values, ids, the forms of targets. Each error has its line.</summary>
public static class BatchPlanValidator
{
    public static readonly IReadOnlySet<string> Severities = new HashSet<string>(StringComparer.Ordinal) { "info", "warning", "blocker", "accepted" };

    public static IReadOnlyList<PlanError> Validate(LoadedPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var doc = plan.Document;
        var errors = new List<PlanError>();
        void Error(int line, string message) => errors.Add(new PlanError(plan.Path, line, message));

        if (doc.SchemaVersion is < 1 or > BatchPlanDocument.CurrentSchema)
        {
            Error(0, $"schemaVersion {doc.SchemaVersion}: this v2v reads plans of schema 1 to {BatchPlanDocument.CurrentSchema}");
        }

        switch (doc.Source.Kind)
        {
            case "vsphere" when !VSphereUri.IsVSphereUri(doc.Source.Location):
                Error(plan.LineOfSection("source", "location"), $"source.location \"{doc.Source.Location}\" is not an esx:// or vpx:// URI");
                break;
            case "folder" when doc.Source.Location.Length == 0:
                Error(plan.LineOfSection("source", "location"), "source.location is empty: the folder the .vmx files were found in");
                break;
            case "vsphere" or "folder":
                break;
            default:
                Error(plan.LineOfSection("source", "kind"), $"source.kind \"{doc.Source.Kind}\": expected vsphere or folder");
                break;
        }

        if (doc.Output.Mode is not ("local" or "libvirt"))
        {
            Error(plan.LineOfSection("output", "mode"), $"output.mode \"{doc.Output.Mode}\": expected local or libvirt");
        }

        if (doc.Output.Format is not (null or "qcow2" or "raw"))
        {
            Error(plan.LineOfSection("output", "format"), $"output.format \"{doc.Output.Format}\": expected qcow2 or raw");
        }

        if (doc.Output.Compress && doc.Output.Format == "raw")
        {
            Error(plan.LineOfSection("output", "compress"), "output.compress needs the qcow2 format");
        }

        if (doc.Vms.Count == 0)
        {
            Error(plan.LineOfSection("vms"), "the plan has no VMs");
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < doc.Vms.Count; i++)
        {
            var vm = doc.Vms[i];
            var label = $"vms[{i}] ({(vm.Id.Length > 0 ? vm.Id : vm.Name)})";
            if (vm.Id.Length == 0 || Planner.SafeFileName(vm.Id) != vm.Id || vm.Id.Contains(' ', StringComparison.Ordinal))
            {
                Error(plan.LineOf(i, "id"), $"{label}: id \"{vm.Id}\" must be a plain file name (letters, digits, '-', '_', '.'); do not edit ids");
            }
            else if (!ids.TryAdd(vm.Id, i))
            {
                Error(plan.LineOf(i, "id"), $"{label}: id \"{vm.Id}\" is used twice (also vms[{ids[vm.Id]}]); do not copy VM entries, make a new plan");
            }

            if (vm.Source.Length == 0 && vm.Ref is null)
            {
                Error(plan.LineOf(i), $"{label}: source is empty");
            }

            if (vm.Target.Length == 0)
            {
                Error(plan.LineOf(i, "target"), $"{label}: target is empty (the domain name)");
            }

            for (var n = 0; n < vm.Nics.Count; n++)
            {
                var t = vm.Nics[n].Target;
                var colon = t.IndexOf(':', StringComparison.Ordinal);
                var kind = colon < 0 ? "" : t[..colon];
                if (kind is not ("bridge" or "network") || t.Length == colon + 1)
                {
                    Error(plan.LineOf(i, "nics", n, "target"), $"{label}: nics[{n}] (ethernet{vm.Nics[n].Index}) target \"{t}\": expected bridge:NAME or network:NAME");
                }
            }

            if (vm.Nics.GroupBy(n => n.Index).FirstOrDefault(g => g.Count() > 1) is { } dupNic)
            {
                Error(plan.LineOf(i, "nics"), $"{label}: ethernet{dupNic.Key} is listed twice");
            }

            for (var d = 0; d < vm.Disks.Count; d++)
            {
                var s = vm.Disks[d].Storage;
                if (s.Length == 0)
                {
                    Error(plan.LineOf(i, "disks", d, "storage"), $"{label}: disks[{d}] ({vm.Disks[d].Key}) storage is empty");
                }
                else if (doc.Output.Mode == "local" && !Path.IsPathRooted(s))
                {
                    Error(plan.LineOf(i, "disks", d, "storage"), $"{label}: disks[{d}] ({vm.Disks[d].Key}) storage \"{s}\" must be an absolute folder for -o local");
                }
                else if (doc.Output.Mode == "libvirt" && s.Contains('/', StringComparison.Ordinal))
                {
                    Error(plan.LineOf(i, "disks", d, "storage"), $"{label}: disks[{d}] ({vm.Disks[d].Key}) storage \"{s}\" must be a storage pool name for -o libvirt");
                }
            }

            for (var c = 0; c < vm.Concerns.Count; c++)
            {
                if (!Severities.Contains(vm.Concerns[c].Severity))
                {
                    Error(plan.LineOf(i, "concerns", c, "severity"), $"{label}: concerns[{c}] ({vm.Concerns[c].Code}) severity \"{vm.Concerns[c].Severity}\": expected info, warning, blocker or accepted");
                }
            }
        }

        return errors;
    }
}
