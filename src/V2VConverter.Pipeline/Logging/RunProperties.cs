using Serilog.Core;
using Serilog.Events;

namespace V2VConverter.Pipeline.Logging;

/// <summary>Puts the VM, the disk and the stage on every event. The job sets the VM and the stage; a disk's events carry their own Disk.</summary>
public sealed class RunProperties : ILogEventEnricher
{
    private volatile string? _vm;
    private volatile string _stage = "start";

    public string? Vm
    {
        get => _vm;
        set => _vm = value;
    }

    public string Stage
    {
        get => _stage;
        set => _stage = value;
    }

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(propertyFactory);
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("VM", _vm));
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("Stage", _stage));
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("Disk", null));
    }
}
