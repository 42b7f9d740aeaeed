using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace V2VConverter.Output.Templates;

/// <summary>
/// An XML template: <c>{{var}}</c> in attribute values and text, <c>v2v-if="var"</c> / <c>v2v-if="!var"</c>
/// on elements. Values are inserted as data, so XML escaping is always done by the writer, never by hand.
/// </summary>
public sealed partial class XmlTemplate
{
    public const string IfAttribute = "v2v-if";

    private readonly XElement _root;

    private XmlTemplate(string name, XElement root)
    {
        Name = name;
        _root = root;
    }

    public string Name { get; }

    public static XmlTemplate Parse(string text, string name)
    {
        try
        {
            var doc = XDocument.Parse(text, LoadOptions.None);
            return new XmlTemplate(name, doc.Root ?? throw new InvalidDataException($"template {name}: no root element"));
        }
        catch (XmlException ex)
        {
            throw new InvalidDataException($"template {name}: not well-formed XML: {ex.Message}");
        }
    }

    /// <summary>A filled copy of the template. A placeholder with no entry in <paramref name="values"/> is an error.</summary>
    public XElement Render(IReadOnlyDictionary<string, string?> values)
    {
        var copy = new XElement(_root);
        Apply(copy, values);
        return copy;
    }

    private void Apply(XElement element, IReadOnlyDictionary<string, string?> values)
    {
        foreach (var child in element.Elements().ToList())
        {
            var cond = child.Attribute(IfAttribute);
            if (cond is not null)
            {
                cond.Remove();
                if (!Evaluate(cond.Value, values))
                {
                    child.Remove();
                    continue;
                }
            }

            Apply(child, values);
        }

        foreach (var attr in element.Attributes().ToList())
        {
            var single = SinglePlaceholder().Match(attr.Value);
            if (single.Success && string.IsNullOrEmpty(Lookup(single.Groups[1].Value, values)))
            {
                attr.Remove();
                continue;
            }

            attr.Value = Substitute(attr.Value, values);
        }

        foreach (var text in element.Nodes().OfType<XText>())
        {
            text.Value = Substitute(text.Value, values);
        }
    }

    private bool Evaluate(string condition, IReadOnlyDictionary<string, string?> values)
    {
        var negate = condition.StartsWith('!');
        var name = negate ? condition[1..] : condition;
        var v = Lookup(name, values);
        var set = !string.IsNullOrEmpty(v) && !string.Equals(v, "false", StringComparison.OrdinalIgnoreCase);
        return negate ? !set : set;
    }

    private string Substitute(string s, IReadOnlyDictionary<string, string?> values) =>
        s.Contains("{{", StringComparison.Ordinal) ? Placeholder().Replace(s, m => Lookup(m.Groups[1].Value, values) ?? "") : s;

    private string? Lookup(string name, IReadOnlyDictionary<string, string?> values)
    {
        if (!values.TryGetValue(name, out var v))
        {
            throw new InvalidDataException($"template {Name}: no value for placeholder {{{{{name}}}}}");
        }

        // XML 1.0 cannot hold control characters such as U+0001: say which value has one, not "hexadecimal value 0x01".
        for (var i = 0; v is not null && i < v.Length; i++)
        {
            if (XmlConvert.IsXmlChar(v[i]))
            {
                continue;
            }

            if (i + 1 < v.Length && XmlConvert.IsXmlSurrogatePair(v[i + 1], v[i]))
            {
                i++;
                continue;
            }

            var shown = new string(v.Select(c => XmlConvert.IsXmlChar(c) ? c : '?').ToArray());
            throw new InvalidDataException(
                $"template {Name}: the value of {{{{{name}}}}} has U+{((int)v[i]).ToString("X4", CultureInfo.InvariantCulture)} at character {i}, which XML cannot hold: \"{shown}\"");
        }

        return v;
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$")]
    private static partial Regex SinglePlaceholder();
}

/// <summary>The domain and device templates: from a directory (templates/) or the copies embedded in the build.</summary>
public sealed class TemplateSet
{
    private readonly Dictionary<string, XmlTemplate> _cache = new(StringComparer.Ordinal);
    private readonly string? _directory;

    public TemplateSet(string? directory = null) => _directory = directory;

    public static TemplateSet Embedded { get; } = new();

    public string Source => _directory ?? "(built-in) templates/";

    /// <summary>Parses every template of the directory now, so a broken one fails before any work starts.</summary>
    public void LoadAll()
    {
        if (_directory is null)
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(_directory, "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(_directory, file).Replace(Path.DirectorySeparatorChar, '/');
            try
            {
                Get(relative);
            }
            catch (Exception e) when (e is InvalidDataException or System.Xml.XmlException)
            {
                throw new InvalidDataException($"{file}: {e.Message.ReplaceLineEndings(" ")}", e);
            }
        }
    }

    public XmlTemplate Get(string relativeName)
    {
        lock (_cache)
        {
            if (_cache.TryGetValue(relativeName, out var t))
            {
                return t;
            }

            string text;
            if (_directory is not null && File.Exists(Path.Combine(_directory, relativeName)))
            {
                text = File.ReadAllText(Path.Combine(_directory, relativeName));
            }
            else
            {
                using var s = typeof(TemplateSet).Assembly.GetManifestResourceStream("templates/" + relativeName)
                    ?? throw new InvalidOperationException($"template {relativeName} is missing from the build");
                using var r = new StreamReader(s);
                text = r.ReadToEnd();
            }

            t = XmlTemplate.Parse(text, relativeName);
            _cache[relativeName] = t;
            return t;
        }
    }
}
