using V2VConverter.Mapping.Config;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests;

public sealed class ConversionJobTests
{
    private static JobContext Context(TestLog log) => new()
    {
        Log = log.Logger,
        GetEnv = _ => null,
        Cancellation = TestContext.Current.CancellationToken,
    };

    private static ConversionRequest ToyRequest(string kind = "toy") => new()
    {
        Source = new SourceSpec { Location = "toy:little-vm" },
        Plan = new PlanRequest { Mapping = new MappingSources { Environment = new Dictionary<string, string?>() } },
        Output = new OutputSpec { Kind = kind, Storage = "pool1" },
        Guest = new GuestStageOptions { Skip = true },
    };

    [Fact]
    public void A_toy_source_and_a_toy_output_from_the_test_project_run_a_whole_conversion()
    {
        var events = new List<string>();
        var output = new ToyOutput(events);
        var registry = StageRegistry.Default.With(sources: [new ToySource(events)], outputs: [output]);
        var diagnostics = new TestLog();

        var result = new ConversionJob(registry, Context(diagnostics)).Run(ToyRequest());

        // Stage order: output options, source (with no staging: the toy output offers none), checks (the source's disks,
        // then the output's), copy, finalize.
        Assert.Equal(
            ["output:configure", "source:open toy:little-vm staging=none", "source:check scsi0:0", "output:prepare xml=True", "source:read scsi0:0", "output:write 0", "source:verify scsi0:0", "output:finalize", "source:close"],
            events);
        Assert.Equal(ToySource.Expected(), output.Disks[0]);
        Assert.Equal(["toy:little-vm"], result.Documents);
        Assert.NotNull(output.Final);
        Assert.Contains("<name>little-vm</name>", output.Final.DomainXml, StringComparison.Ordinal);
        Assert.Contains("00:50:56:01:02:03", output.Final.DomainXml, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"little-vm\"", output.Final.ReportJson, StringComparison.Ordinal);
        XmlValidator.AssertValidDomain(output.Final.DomainXml, "toy output domain");
    }

    [Fact]
    public void A_failed_copy_aborts_the_toy_output_and_closes_the_source()
    {
        var events = new List<string>();
        var output = new ToyOutput(events, failWrite: true);
        var registry = StageRegistry.Default.With(sources: [new ToySource(events)], outputs: [output]);

        var ex = Assert.Throws<IOException>(() => new ConversionJob(registry, Context(new TestLog())).Run(ToyRequest()));

        Assert.Contains("toy store is full", ex.Message, StringComparison.Ordinal);
        Assert.True(output.Aborted);
        Assert.Null(output.Final);
        Assert.Equal(["output:write 0", "output:abort", "source:close"], events.Skip(events.IndexOf("output:write 0")));
    }

    [Fact]
    public void A_source_check_failing_after_the_copy_aborts_the_output_before_anything_is_final()
    {
        var events = new List<string>();
        var output = new ToyOutput(events);
        var registry = StageRegistry.Default.With(sources: [new ToySource(events)], outputs: [output]);

        var ex = Assert.Throws<InvalidDataException>(() => new ConversionJob(registry, Context(new TestLog())).Run(ToyRequest() with { Source = new SourceSpec { Location = "toy:bad-digest" } }));

        Assert.Contains("digest mismatch", ex.Message, StringComparison.Ordinal);
        Assert.True(output.Aborted);
        Assert.Null(output.Final);
        Assert.Equal(["output:write 0", "source:verify scsi0:0", "output:abort", "source:close"], events.Skip(events.IndexOf("output:write 0")));
    }

    [Fact]
    public void A_dry_run_plans_through_the_toy_source_without_any_output()
    {
        var events = new List<string>();
        var registry = StageRegistry.Default.With(sources: [new ToySource(events)]);
        using (var planned = new ConversionJob(registry, Context(new TestLog())).Plan(ToyRequest() with { Output = new OutputSpec() }))
        {
            Assert.Equal("little-vm", planned.Plan.Name);
            Assert.Contains("<domain type=\"kvm\"", planned.DomainXml(), StringComparison.Ordinal);
            Assert.Equal(["source:open toy:little-vm staging=none"], events);
        }

        // A dry run for a named output (inspect/xml -o libvirt) lets that output shape the plan, and nothing more.
        events.Clear();
        var withOutput = StageRegistry.Default.With(sources: [new ToySource(events)], outputs: [new ToyOutput(events)]);
        using (new ConversionJob(withOutput, Context(new TestLog())).Plan(ToyRequest()))
        {
            Assert.Equal(["source:open toy:little-vm staging=none", "output:configure"], events);
        }
    }

    [Fact]
    public void An_unknown_output_and_an_unknown_scheme_are_usage_errors_naming_the_choices()
    {
        var job = new ConversionJob(Context(new TestLog()));
        var output = Assert.Throws<UsageException>(() => job.Run(ToyRequest("nowhere")));
        Assert.Equal("-o nowhere: unknown output; expected local or libvirt", output.Message);
        var scheme = Assert.Throws<UsageException>(() => job.Plan(ToyRequest() with { Source = new SourceSpec { Location = "ftp://host/vm" } }));
        Assert.Contains("ftp://host/vm: unknown source scheme", scheme.Message, StringComparison.Ordinal);
    }
}

public sealed class CatalogOnceTests
{
    [Fact]
    public void The_mappings_dir_guest_catalog_is_the_one_the_source_looks_the_guest_up_in()
    {
        var dir = RepoPaths.NewTempDir("v2v-catalog");
        var builtIn = new StreamReader(typeof(V2VConverter.Model.Catalog.GuestOsCatalog).Assembly.GetManifestResourceStream("guest-os.json")!).ReadToEnd();
        // The same catalog, but debian12-64 is described differently: the plan must show this description.
        File.WriteAllText(Path.Combine(dir, "guest-os.json"), builtIn.Replace("\"description\": \"Debian\" }", "\"description\": \"Debian (site catalog)\" }", StringComparison.Ordinal));
        var events = new List<string>();
        var registry = StageRegistry.Default.With(sources: [new ToySource(events)]);
        var context = new JobContext { Log = new TestLog().Logger, GetEnv = _ => null, Cancellation = TestContext.Current.CancellationToken };
        using var planned = new ConversionJob(registry, context).Plan(new ConversionRequest
        {
            Source = new SourceSpec { Location = "toy:cat" },
            Plan = new PlanRequest { Mapping = new MappingSources { Environment = new Dictionary<string, string?>(), MappingsDirectory = dir } },
        });
        Assert.StartsWith("Debian (site catalog)", planned.Vm.Guest.Description, StringComparison.Ordinal);
    }
}
