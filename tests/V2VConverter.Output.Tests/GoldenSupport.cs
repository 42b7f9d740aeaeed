using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Output.Libvirt;
using V2VConverter.Pipeline;
using V2VConverter.Sources.Vmx;
using V2VConverter.TestSupport;

namespace V2VConverter.Output.Tests;

/// <summary>Runs a .vmx through the dry-run pipeline with fixed, environment-free settings.</summary>
public static class GoldenSupport
{
    public const string OutputDir = "/var/lib/libvirt/images";

    public static string GoldenDir => Path.Combine(RepoPaths.Root, "tests", "V2VConverter.Output.Tests", "Golden");

    public static bool Update => Environment.GetEnvironmentVariable("V2V_UPDATE_GOLDEN") == "1";

    public static (string Xml, ConversionPlan Plan) Convert(string vmxPath, IReadOnlyDictionary<string, string?>? commandLine = null, bool useOutputDir = true, bool keepHostDevices = false, TestLog? log = null)
    {
        var diags = (log ?? new TestLog()).Logger;
        var vm = VmxSource.Load(vmxPath, diags);
        return Plan(vm, vmxPath, "{vmxdir}", commandLine, useOutputDir, keepHostDevices, diags);
    }

    /// <summary>Plans a source model with the same fixed settings; the source file's folder becomes <paramref name="dirToken"/>.</summary>
    public static (string Xml, ConversionPlan Plan) Plan(V2VConverter.Model.Vm.VirtualMachine vm, string sourcePath, string dirToken, IReadOnlyDictionary<string, string?>? commandLine, bool useOutputDir, bool keepHostDevices, Serilog.ILogger diags, V2VConverter.Model.Vm.GuestFacts? guestFacts = null)
    {
        var request = new PlanRequest
        {
            Mapping = new MappingSources { Environment = new Dictionary<string, string?>(), CommandLine = commandLine ?? new Dictionary<string, string?>() },
            Options = new PlanOptions { OutputDirectory = useOutputDir ? OutputDir : null, KeepHostDevices = keepHostDevices, GuestFacts = guestFacts },
        };
        var plan = ConversionPlanner.Plan(vm, request, diags);
        var xml = new DomainXmlBuilder().BuildString(plan);
        // The source path is machine-specific; goldens hold it relative to the source file's folder.
        xml = xml.Replace(Path.GetDirectoryName(Path.GetFullPath(sourcePath))!, dirToken, StringComparison.Ordinal);
        return (xml, plan);
    }

    public static void AssertGolden(string actual, string goldenPath)
    {
        if (Update || !File.Exists(goldenPath))
        {
            if (!Update)
            {
                throw new Xunit.Sdk.XunitException($"golden file {goldenPath} is missing; run with V2V_UPDATE_GOLDEN=1 to create it, then review it");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(goldenPath)!);
            File.WriteAllText(goldenPath, actual);
            return;
        }

        var expected = File.ReadAllText(goldenPath);
        if (expected != actual)
        {
            throw new Xunit.Sdk.XunitException($"{goldenPath} differs from the generated XML (V2V_UPDATE_GOLDEN=1 rewrites it):\n--- expected\n{expected}\n--- actual\n{actual}");
        }
    }
}
