namespace V2VConverter.TestSupport;

/// <summary>Validates domain XML against libvirt's own schema with virt-xml-validate.</summary>
public static class XmlValidator
{
    public static void AssertValidDomain(string xml, string what)
    {
        Tool.Require("virt-xml-validate");
        var dir = RepoPaths.NewTempDir("v2v-xmlvalidate");
        try
        {
            var file = Path.Combine(dir, "domain.xml");
            File.WriteAllText(file, xml);
            var r = Tool.Run("virt-xml-validate", [file, "domain"]);
            if (r.ExitCode != 0)
            {
                throw new Xunit.Sdk.XunitException($"{what}: virt-xml-validate failed ({r.ExitCode}): {r.All}\n{xml}");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
