using V2VConverter.Cli.Commands;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>-o, -os, -oc and the -o libvirt flags into an <see cref="OutputSpec"/>: -os is a folder (resolved) for -o local, a pool name for -o libvirt.</summary>
internal static class OutputArgs
{
    public static OutputSpec Spec(string kind, string? storage, CliContext context, LibvirtCliOptions? libvirt = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        libvirt ??= new LibvirtCliOptions(null, false, false, false);
        if (kind != "libvirt")
        {
            var given = new[] { (libvirt.Connection is not null, "-oc"), (libvirt.Start, "--start"), (libvirt.DefineOnly, "--define-only"), (libvirt.IgnoreSpace, "--ignore-space") }.FirstOrDefault(x => x.Item1);
            if (given.Item1)
            {
                throw new UsageException($"{given.Item2} applies to -o libvirt, not -o {kind}");
            }

            return new OutputSpec { Kind = kind, Storage = storage is null ? null : context.ResolvePath(storage) };
        }

        if (libvirt.Start && libvirt.DefineOnly)
        {
            throw new UsageException("--start and --define-only exclude each other");
        }

        return new OutputSpec { Kind = kind, Storage = storage, Connection = libvirt.Connection, Start = libvirt.Start, IgnoreSpace = libvirt.IgnoreSpace };
    }
}
