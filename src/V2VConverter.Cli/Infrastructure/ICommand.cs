namespace V2VConverter.Cli.Infrastructure;

/// <summary>One CLI subcommand. Parse its own arguments with <see cref="ArgReader"/>, return an exit code.</summary>
public interface ICommand
{
    /// <summary>The word(s) that select it, e.g. "inspect" or "disk info".</summary>
    string Name { get; }

    string Usage { get; }

    string Summary { get; }

    int Run(CliContext context, ArgReader args);
}
