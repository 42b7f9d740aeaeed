using V2VConverter.Cli.Infrastructure;

namespace V2VConverter.Cli.Commands;

/// <summary>The list of subcommands, one line each.</summary>
internal static class CommandTable
{
    public static IReadOnlyList<ICommand> All { get; } =
    [
        // one line per command; keep names stable once an issue names them
        new InspectCommand(),
        new XmlCommand(),
        new DiskInfoCommand(),
        new DiskConvertCommand(),
        new ConvertCommand(),
        new InventoryCommand(),
    ];
}
