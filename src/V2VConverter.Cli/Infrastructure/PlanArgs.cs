using System.CommandLine;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>The mapping options shared by inspect, xml and convert, as parsed (paths not yet resolved).</summary>
internal sealed record PlanCliOptions
{
    public IReadOnlyList<string> Bridges { get; init; } = [];

    public IReadOnlyList<string> Networks { get; init; } = [];

    public string? OutputStorage { get; init; }

    /// <summary>qcow2 or raw (lower case), or null.</summary>
    public string? OutputFormat { get; init; }

    public IReadOnlyList<string> Mappings { get; init; } = [];

    public string? Config { get; init; }

    public string? Tuning { get; init; }

    public IReadOnlyList<string> Sets { get; init; } = [];

    public string? Templates { get; init; }

    public string? MappingsDir { get; init; }

    /// <summary>--log-dir: where the run's JSON log goes (convert: beside the outputs by default).</summary>
    public string? LogDir { get; init; }

    /// <summary>--keep-host-devices: carry the VMX's host paths (serial/parallel files, devices, sockets, outside images) as they are.</summary>
    public bool KeepHostDevices { get; init; }
}

/// <summary>The definitions of the mapping options shared by inspect, xml and convert; one instance per command.</summary>
internal sealed class PlanOptionSet
{
    private readonly Option<string[]> _bridge = CliOptions.Repeatable("--bridge", "SRC:BR|BR", "source network SRC goes to host bridge BR (repeatable); BR alone sets the default", "-b");
    private readonly Option<string[]> _network = CliOptions.Repeatable("--network", "SRC:NET|NET", "source network SRC goes to libvirt network NET (repeatable); NET alone sets the default", "-n");
    private readonly Option<string> _outputStorage = CliOptions.Value("-os", "DIR|POOL", "-o local: output directory for every disk (DIR/<name>-sda.qcow2, -sdb, ...); -o libvirt: the storage pool (default: default)", "--output-storage");
    private readonly Option<string> _outputFormat = CliOptions.OneOf("-of", ["--output-format"], "output disk format", "qcow2", "raw");
    private readonly Option<string[]> _mapping = CliOptions.Repeatable("--mapping", "FILE", "a user mapping file (JSON or INI) over the built-in rules (repeatable)");
    private readonly Option<string> _config = CliOptions.Value("--config", "FILE", "virt-v2v.conf (INI, or JSON by extension)");
    private readonly Option<string> _tuning = CliOptions.Value("--tuning", "PROFILE", "a tuning profile from mappings/tuning.json");
    private readonly Option<string[]> _set = CliOptions.Repeatable("--set", "KEY=VALUE", "any rule key, e.g. networks:default=bridge:br0 (repeatable)");
    private readonly Option<string> _templates = CliOptions.Value("--templates", "DIR", "domain/device templates overriding the built-in templates/");
    private readonly Option<string> _mappingsDir = CliOptions.Value("--mappings-dir", "DIR", "read the rules from DIR instead of the built-in mappings/");
    private readonly Option<string> _logDir = CliOptions.Value("--log-dir", "DIR", "write the run's JSON log (NAME.TIME.log.json) into DIR; convert writes it beside the outputs by default");
    private readonly Option<bool> _keepHostDevices = CliOptions.Flag("--keep-host-devices", "carry the VMX's host paths into the XML as they are: serial/parallel files, host devices and sockets, CD-ROM/floppy images outside the VM folder (default: pty, dropped or empty, with a warning)");

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _bridge, _network, _outputStorage, _outputFormat, _mapping, _config, _tuning, _set, _templates, _mappingsDir, _logDir, _keepHostDevices })
        {
            command.Options.Add(o);
        }
    }

    public PlanCliOptions Bind(ParseResult result) => new()
    {
        Bridges = result.GetValue(_bridge) ?? [],
        Networks = result.GetValue(_network) ?? [],
        OutputStorage = result.GetValue(_outputStorage),
        OutputFormat = result.GetValue(_outputFormat),
        Mappings = result.GetValue(_mapping) ?? [],
        Config = result.GetValue(_config),
        Tuning = result.GetValue(_tuning),
        Sets = result.GetValue(_set) ?? [],
        Templates = result.GetValue(_templates),
        MappingsDir = result.GetValue(_mappingsDir),
        LogDir = result.GetValue(_logDir),
        KeepHostDevices = result.GetValue(_keepHostDevices),
    };
}

/// <summary>Turns the mapping options into a <see cref="PlanRequest"/>: --bridge/--network/--set/--tuning become rule overrides.</summary>
internal static class PlanArgs
{
    /// <summary>The request of a dry run (inspect, xml) planned for output <paramref name="outputMode"/>: -os is a folder, or a pool for -o libvirt.</summary>
    public static ConversionRequest DryRun(SourceSpec source, PlanCliOptions args, string outputMode, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        var plan = Read(args, context);
        if (outputMode == "local")
        {
            return new ConversionRequest { Source = source, Plan = plan };
        }

        return new ConversionRequest
        {
            Source = source,
            Plan = plan with { Options = plan.Options with { OutputDirectory = null } },
            Output = OutputArgs.Spec(outputMode, args.OutputStorage, context),
        };
    }

    public static PlanRequest Read(PlanCliOptions args, CliContext context, bool compatibilityMode = false)
    {
        var overrides = CommandLineOverrides.Build(args.Bridges, args.Networks, args.Sets, args.Tuning);

        var outputDir = args.OutputStorage;
        var format = args.OutputFormat?.ToLowerInvariant(); // qcow2 or raw: the option allows nothing else
        var mappings = args.Mappings.Select(context.ResolvePath).ToList();
        var config = args.Config is { } c ? context.ResolvePath(c) : null;
        var templates = args.Templates is { } t ? context.ResolvePath(t) : null;
        var mappingsDir = args.MappingsDir is { } md ? context.ResolvePath(md) : null;
        var env = context.Environment ?? Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        return new PlanRequest
        {
            Mapping = new MappingSources
            {
                MappingsDirectory = mappingsDir,
                ConfigFile = config,
                UserMappingFiles = mappings,
                Environment = env,
                CommandLine = overrides,
            },
            Options = new PlanOptions
            {
                OutputDirectory = outputDir is null ? null : context.ResolvePath(outputDir),
                OutputFormat = format,
                CompatibilityMode = compatibilityMode,
                KeepHostDevices = args.KeepHostDevices,
            },
            TemplatesDirectory = templates,
        };
    }
}
