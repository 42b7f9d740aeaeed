using System.Text;
using System.Xml.Linq;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Ova;
using V2VConverter.TestSupport;
using static V2VConverter.Sources.Tests.Ova.OvfTestDocuments;

namespace V2VConverter.Sources.Tests.Ova;

/// <summary>Every descriptor either becomes a model or fails by the exception policy; never a NullReferenceException or the like.</summary>
public sealed class OvfRobustnessTests
{
    public static TheoryData<string> GoldenNames()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(GoldenDir, "*.ovf").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(f));
        }

        return data;
    }

    private static void BuildOrFailByPolicy(string text, string what)
    {
        try
        {
            var envelope = OvfEnvelope.Parse(Encoding.UTF8.GetBytes(text), "mutant.ovf");
            OvfSource.Build(envelope, null, LogExtensions.None, new OvfSourceOptions { ProbeLocalFiles = false });
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            Assert.Contains("mutant.ovf", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', ex.Message);
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"{what}: {ex.GetType().Name} outside the exception policy: {ex}");
        }
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Removing_any_element_or_attribute_fails_only_by_the_policy(string name)
    {
        var original = XDocument.Load(Golden(name));
        var elements = original.Descendants().Count();
        for (var i = 1; i < elements; i++)
        {
            var doc = new XDocument(original);
            doc.Descendants().ElementAt(i).Remove();
            BuildOrFailByPolicy(doc.ToString(), $"{name} without element {i}");
        }

        var attributes = original.Descendants().SelectMany(e => e.Attributes()).Count();
        for (var i = 0; i < attributes; i++)
        {
            var doc = new XDocument(original);
            var a = doc.Descendants().SelectMany(e => e.Attributes()).ElementAt(i);
            if (!a.IsNamespaceDeclaration)
            {
                a.Value = i % 2 == 0 ? "" : "../x";
                BuildOrFailByPolicy(doc.ToString(), $"{name} with attribute {a.Name} changed");
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Changing_any_element_text_fails_only_by_the_policy(string name)
    {
        var original = XDocument.Load(Golden(name));
        var leaves = original.Descendants().Count(e => !e.HasElements);
        foreach (var value in new[] { "", "-1", "99999999999999999999", "x" })
        {
            for (var i = 0; i < leaves; i++)
            {
                var doc = new XDocument(original);
                doc.Descendants().Where(e => !e.HasElements).ElementAt(i).Value = value;
                BuildOrFailByPolicy(doc.ToString(), $"{name} leaf {i} = \"{value}\"");
            }
        }
    }

    [Fact]
    public void A_blank_disk_without_a_file_is_skipped_with_a_warning()
    {
        var log = new TestLog();
        var text = Envelope().Replace(" ovf:fileRef=\"f1\"", "", StringComparison.Ordinal);
        var vm = OvfSource.Build(OvfEnvelope.Parse(Encoding.UTF8.GetBytes(text), "blank.ovf"), null, log.Logger, new OvfSourceOptions());
        Assert.Empty(vm.Disks);
        Assert.Contains(vm.SkippedDevices, s => s.Reason.Contains("blank disk of 1073741824 bytes", StringComparison.Ordinal));
        Assert.Contains(log.Warnings, w => w.Message.Contains("blank disk", StringComparison.Ordinal));
    }

    [Fact]
    public void Descriptor_read_from_a_stream_inside_an_archive_has_no_local_paths()
    {
        using var stream = File.OpenRead(Golden("vsphere7-efi-secureboot-pvscsi"));
        var envelope = OvfEnvelope.Read(stream, "appliance.ova/rhel9-app.ovf");
        var vm = OvfSource.Build(envelope, null, LogExtensions.None, new OvfSourceOptions { ProbeLocalFiles = false });
        Assert.All(vm.Disks, d => Assert.Equal((null, DiskFileState.Unknown), (d.ResolvedPath, d.FileState)));
        Assert.Equal("appliance.ova/rhel9-app.ovf", vm.Origin);
    }
}
