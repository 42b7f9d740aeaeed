using V2VConverter.Guest.Windows.FirstBoot;

namespace V2VConverter.Guest.Tests.Windows.FirstBoot;

/// <summary>Whole-plan golden documents, one per Windows family (files, registry writes, steps, log path).</summary>
public sealed class FirstBootGoldenTests
{
    [Theory]
    [MemberData(nameof(FirstBootSamples.Names), MemberType = typeof(FirstBootSamples))]
    public void Plan_matches_golden(string name) =>
        FirstBootRender.AssertGolden(FirstBootRender.Render(FirstBootPlanner.Build(FirstBootSamples.Get(name))), name);
}
