using System.Diagnostics;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Sources.VSphere;

/// <summary>A managed object reference: type and value (<c>VirtualMachine:vm-42</c>).</summary>
public readonly record struct MoRef(string Type, string Value)
{
    public override string ToString() => $"{Type}:{Value}";

    internal XElement ToElement(XName name) => new(name, new XAttribute("type", Type), Value);

    internal static MoRef FromElement(XElement e) =>
        new((string?)e.Attribute("type") ?? throw new InvalidDataException($"vim25 response: managed object reference <{e.Name.LocalName}> has no type attribute"), e.Value.Trim());
}

/// <summary>The parts of the vim25 <c>ServiceContent</c> this tool uses.</summary>
public sealed record VimServiceContent(
    MoRef RootFolder,
    MoRef PropertyCollector,
    MoRef ViewManager,
    MoRef SessionManager,
    MoRef? SearchIndex,
    string ApiType,
    string ApiVersion,
    string FullName)
{
    /// <summary>True for vCenter (<c>VirtualCenter</c>), false for an ESXi host (<c>HostAgent</c>).</summary>
    public bool IsVCenter => ApiType == "VirtualCenter";
}

/// <summary>One <c>PropertySpec</c>: the properties to fetch for objects of one type.</summary>
public sealed record VimPropertySpec(string Type, IReadOnlyList<string> Paths);

/// <summary>One object of a <c>RetrievePropertiesEx</c> result, its properties by path (raw <c>val</c> elements).</summary>
public sealed record VimObjectContent(MoRef Obj, IReadOnlyDictionary<string, XElement> Properties);

/// <summary>
/// The few vim25 SOAP calls V2VConverter needs, on <see cref="HttpClient"/>, written from the
/// vSphere Web Services API reference: RetrieveServiceContent, Login/Logout (session cookie
/// kept by the handler's cookie container), FindByInventoryPath, CreateContainerView/DestroyView,
/// RetrievePropertiesEx with ContinueRetrievePropertiesEx paging. Faults become
/// <see cref="VimFaultException"/>. The debug log gets method names, status and timings, never
/// a request body (the Login body carries the password); server text in a fault or an error is masked
/// (<see cref="Secrets"/>) before it goes into an exception message. Each call has a timeout.
/// </summary>
public sealed class VimClient
{
    public static readonly XNamespace Vim = "urn:vim25";
    public static readonly XNamespace Soap = "http://schemas.xmlsoap.org/soap/envelope/";
    public static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>A SOAP response larger than this is refused (a 1000-VM page is a few MiB).</summary>
    public const long MaxResponseBytes = 256L * 1024 * 1024;

    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreWhitespace = true,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = false,
    };

    private readonly HttpClient _http;
    private readonly Uri _sdk;
    private readonly ILogger _log;
    private string _soapAction = "urn:vim25/6.5";

    public VimClient(HttpClient http, Uri sdk, ILogger? log = null)
    {
        _http = http;
        _sdk = sdk;
        _log = log ?? LogExtensions.None;
    }

    public VimServiceContent? ServiceContent { get; private set; }

    /// <summary>How long one SOAP call may take, from sending the request to the end of the response.</summary>
    public TimeSpan CallTimeout { get; init; } = VSphereConnectOptions.DefaultRequestTimeout;

    /// <summary>Number of ContinueRetrievePropertiesEx calls made (tests check paging happened).</summary>
    public int ContinueCalls { get; private set; }

    private VimServiceContent Content => ServiceContent ?? throw new InvalidOperationException("call RetrieveServiceContentAsync first");

    public async Task<VimServiceContent> RetrieveServiceContentAsync(CancellationToken ct)
    {
        var response = await InvokeAsync("RetrieveServiceContent", [new MoRef("ServiceInstance", "ServiceInstance").ToElement(Vim + "_this")], ct).ConfigureAwait(false);
        var r = response.Element(Vim + "returnval") ?? throw Missing("RetrieveServiceContent", "returnval");
        MoRef Ref(string name) => MoRef.FromElement(r.Element(Vim + name) ?? throw Missing("RetrieveServiceContent", name));
        var about = r.Element(Vim + "about");
        var content = new VimServiceContent(
            Ref("rootFolder"),
            Ref("propertyCollector"),
            Ref("viewManager"),
            Ref("sessionManager"),
            r.Element(Vim + "searchIndex") is { } si ? MoRef.FromElement(si) : null,
            (string?)about?.Element(Vim + "apiType") ?? "",
            (string?)about?.Element(Vim + "apiVersion") ?? "",
            (string?)about?.Element(Vim + "fullName") ?? "");
        if (content.ApiVersion.Length > 0)
        {
            _soapAction = "urn:vim25/" + content.ApiVersion;
        }

        ServiceContent = content;
        _log.Detail($"vim25: {_sdk.Authority} is {content.FullName} (apiType {content.ApiType}, apiVersion {content.ApiVersion})");
        return content;
    }

    /// <summary>Logs in; an InvalidLogin fault becomes "login failed for user X at host".</summary>
    public async Task LoginAsync(VSphereCredentials credentials, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        try
        {
            await InvokeAsync("Login",
            [
                Content.SessionManager.ToElement(Vim + "_this"),
                new XElement(Vim + "userName", credentials.User),
                new XElement(Vim + "password", credentials.Password),
            ], ct).ConfigureAwait(false);
        }
        catch (VimFaultException ex) when (ex.FaultType == "InvalidLogin")
        {
            throw new VimFaultException(ex.FaultType, $"login failed for user {credentials.User} at {_sdk.Authority}: user name or password is wrong (password from {credentials.Source})", ex);
        }

        _log.Detail($"vim25: logged in as {credentials.User}");
    }

    public async Task LogoutAsync(CancellationToken ct)
    {
        await InvokeAsync("Logout", [Content.SessionManager.ToElement(Vim + "_this")], ct).ConfigureAwait(false);
        _log.Detail("vim25: logged out");
    }

    /// <summary>SearchIndex.FindByInventoryPath: "DC/host/Cluster/Host" to its object, or null.</summary>
    public async Task<MoRef?> FindByInventoryPathAsync(string inventoryPath, CancellationToken ct)
    {
        var si = Content.SearchIndex ?? throw new NotSupportedException($"{_sdk.Authority} has no SearchIndex");
        var r = await InvokeAsync("FindByInventoryPath", [si.ToElement(Vim + "_this"), new XElement(Vim + "inventoryPath", inventoryPath)], ct).ConfigureAwait(false);
        var rv = r.Element(Vim + "returnval");
        return rv is null ? null : MoRef.FromElement(rv);
    }

    public async Task<MoRef> CreateContainerViewAsync(MoRef container, IEnumerable<string> types, bool recursive, CancellationToken ct)
    {
        var body = new List<XElement> { Content.ViewManager.ToElement(Vim + "_this"), container.ToElement(Vim + "container") };
        body.AddRange(types.Select(t => new XElement(Vim + "type", t)));
        body.Add(new XElement(Vim + "recursive", recursive ? "true" : "false"));
        var r = await InvokeAsync("CreateContainerView", body, ct).ConfigureAwait(false);
        return MoRef.FromElement(r.Element(Vim + "returnval") ?? throw Missing("CreateContainerView", "returnval"));
    }

    public async Task DestroyViewAsync(MoRef view, CancellationToken ct) =>
        await InvokeAsync("DestroyView", [view.ToElement(Vim + "_this")], ct).ConfigureAwait(false);

    /// <summary>RetrievePropertiesEx for the given objects themselves (no traversal).</summary>
    public Task<IReadOnlyList<VimObjectContent>> RetrieveObjectsAsync(IReadOnlyList<MoRef> objects, IReadOnlyList<VimPropertySpec> specs, CancellationToken ct) =>
        RetrieveAsync(objects.Select(o => new XElement(Vim + "objectSet", o.ToElement(Vim + "obj"), new XElement(Vim + "skip", "false"))), specs, 100, ct);

    /// <summary>
    /// RetrievePropertiesEx over a ContainerView (one traversal: view), then
    /// ContinueRetrievePropertiesEx while the server returns a token.
    /// </summary>
    public Task<IReadOnlyList<VimObjectContent>> RetrieveFromViewAsync(MoRef view, IReadOnlyList<VimPropertySpec> specs, int maxObjects, CancellationToken ct) =>
        RetrieveAsync(
            [
                new XElement(Vim + "objectSet",
                    view.ToElement(Vim + "obj"),
                    new XElement(Vim + "skip", "true"),
                    new XElement(Vim + "selectSet",
                        new XAttribute(Xsi + "type", "TraversalSpec"),
                        new XElement(Vim + "name", "traverseView"),
                        new XElement(Vim + "type", "ContainerView"),
                        new XElement(Vim + "path", "view"),
                        new XElement(Vim + "skip", "false"))),
            ],
            specs,
            maxObjects,
            ct);

    private async Task<IReadOnlyList<VimObjectContent>> RetrieveAsync(IEnumerable<XElement> objectSets, IReadOnlyList<VimPropertySpec> specs, int maxObjects, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxObjects, 1);
        var specSet = new XElement(Vim + "specSet");
        foreach (var s in specs)
        {
            specSet.Add(new XElement(Vim + "propSet",
                new XElement(Vim + "type", s.Type),
                new XElement(Vim + "all", "false"),
                s.Paths.Select(p => new XElement(Vim + "pathSet", p))));
        }

        specSet.Add(objectSets);

        var pc = Content.PropertyCollector;
        var result = new List<VimObjectContent>();
        var r = await InvokeAsync("RetrievePropertiesEx",
        [
            pc.ToElement(Vim + "_this"),
            specSet,
            new XElement(Vim + "options", new XElement(Vim + "maxObjects", maxObjects)),
        ], ct).ConfigureAwait(false);

        var page = 1;
        while (true)
        {
            var rv = r.Element(Vim + "returnval");
            if (rv is null)
            {
                break;
            }

            foreach (var oc in rv.Elements(Vim + "objects"))
            {
                var obj = MoRef.FromElement(oc.Element(Vim + "obj") ?? throw Missing("RetrievePropertiesEx", "objects/obj"));
                var props = new Dictionary<string, XElement>(StringComparer.Ordinal);
                foreach (var p in oc.Elements(Vim + "propSet"))
                {
                    var name = (string?)p.Element(Vim + "name");
                    var val = p.Element(Vim + "val");
                    if (name is not null && val is not null)
                    {
                        props[name] = val;
                    }
                }

                result.Add(new VimObjectContent(obj, props));
            }

            var token = (string?)rv.Element(Vim + "token");
            if (string.IsNullOrEmpty(token))
            {
                break;
            }

            page++;
            ContinueCalls++;
            r = await InvokeAsync("ContinueRetrievePropertiesEx", [pc.ToElement(Vim + "_this"), new XElement(Vim + "token", token)], ct).ConfigureAwait(false);
        }

        _log.Detail($"vim25: retrieved {result.Count} objects in {page} page(s) of at most {maxObjects}");
        return result;
    }

    /// <summary>
    /// Sends one SOAP request; returns the <c>&lt;MethodResponse&gt;</c> element. The call is bounded by
    /// <see cref="CallTimeout"/>: a server that does not answer in time is a <see cref="VSphereTimeoutException"/>
    /// naming the host and the call, while <paramref name="ct"/> (the user's Ctrl+C) stays a cancellation.
    /// </summary>
    public async Task<XElement> InvokeAsync(string method, IEnumerable<XElement> parameters, CancellationToken ct)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(ct);
        call.CancelAfter(CallTimeout);
        try
        {
            return await SendAsync(method, parameters, call.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && VSphereTimeoutException.Find(ex) is { } timeout)
        {
            // The connect callback's timeout, wrapped by HttpClient: its own message, which names the host.
            throw new VSphereTimeoutException(timeout.Message, ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw call.IsCancellationRequested
                ? new VSphereTimeoutException($"vSphere {_sdk.Authority} did not answer {method} within {VSphereTimeoutException.Seconds(CallTimeout)} (timeout of one SOAP call; see --timeout)", ex)
                : new VSphereTimeoutException($"vSphere {_sdk.Authority}: no connection for {method} (connect and TLS handshake timed out; see --timeout)", ex);
        }
    }

    private async Task<XElement> SendAsync(string method, IEnumerable<XElement> parameters, CancellationToken ct)
    {
        var envelope = new XDocument(new XElement(Soap + "Envelope",
            new XAttribute(XNamespace.Xmlns + "soapenv", Soap),
            new XAttribute(XNamespace.Xmlns + "xsi", Xsi),
            new XElement(Soap + "Body", new XElement(Vim + method, parameters))));

        using var request = new HttpRequestMessage(HttpMethod.Post, _sdk);
        request.Content = new StringContent(envelope.ToString(SaveOptions.DisableFormatting), Encoding.UTF8, "text/xml");
        request.Headers.Add("SOAPAction", $"\"{_soapAction}\"");
        var sw = Stopwatch.StartNew();
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new InvalidDataException($"vim25 {method}: response of {response.Content.Headers.ContentLength} bytes is larger than the {MaxResponseBytes} accepted");
        }

        XDocument doc;
        long received;
        await using (var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false))
        {
            var bounded = new BoundedReadStream(stream, MaxResponseBytes, method);
            try
            {
                // Receive asynchronously, then parse synchronously from memory: the async XmlReader
                // costs several times the CPU on a large (1000-VM, ~10 MB) property page.
                using var buffer = new MemoryStream(response.Content.Headers.ContentLength is { } len and > 0 and < MaxResponseBytes ? (int)len : 64 * 1024);
                await bounded.CopyToAsync(buffer, 128 * 1024, ct).ConfigureAwait(false);
                received = buffer.Length;
                buffer.Position = 0;
                using var reader = XmlReader.Create(buffer, ReaderSettings);
                doc = XDocument.Load(reader, LoadOptions.None);
            }
            catch (XmlException ex)
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException(Secrets.Mask($"vim25 {method} at {_sdk}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}"), ex, response.StatusCode);
                }

                throw new InvalidDataException(Secrets.Mask($"vim25 {method} at {_sdk}: the response is not XML ({ex.Message})"), ex);
            }
        }

        _log.Detail($"vim25: {method} -> HTTP {(int)response.StatusCode}, {received} bytes in {sw.ElapsedMilliseconds} ms");
        var body = doc.Root?.Element(Soap + "Body")
            ?? throw new InvalidDataException($"vim25 {method} at {_sdk}: HTTP {(int)response.StatusCode}, the response has no SOAP Body");
        if (body.Element(Soap + "Fault") is { } fault)
        {
            throw ToFault(method, fault);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(Secrets.Mask($"vim25 {method} at {_sdk}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}"), null, response.StatusCode);
        }

        return body.Element(Vim + method + "Response")
            ?? throw new InvalidDataException($"vim25 {method} at {_sdk}: the SOAP Body has no <{method}Response>");
    }

    private VimFaultException ToFault(string method, XElement fault)
    {
        var text = ((string?)fault.Element("faultstring") ?? (string?)fault.Element(Soap + "faultstring") ?? "").Trim();
        var detail = (fault.Element("detail") ?? fault.Element(Soap + "detail"))?.Elements().FirstOrDefault();
        var type = detail?.Attributes().FirstOrDefault(a => a.Name.LocalName == "type")?.Value is { } t
            ? t[(t.IndexOf(':', StringComparison.Ordinal) + 1)..]
            : detail?.Name.LocalName is { } n && n.EndsWith("Fault", StringComparison.Ordinal) ? n[..^"Fault".Length] : "SoapFault";
        var message = text.Length > 0 ? text : type;
        // Server text: a fault may quote the request, and the Login request holds the password.
        return new VimFaultException(type, Secrets.Mask($"vSphere {_sdk.Authority} refused {method}: {type}: {message}"));
    }

    private static InvalidDataException Missing(string method, string element) =>
        new($"vim25 {method}: the response has no <{element}>");

    /// <summary>Fails a read past a limit, so a hostile server cannot make us buffer gigabytes.</summary>
    private sealed class BoundedReadStream(Stream inner, long limit, string method) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            _read += n;
            return _read > limit ? throw new InvalidDataException($"vim25 {method}: response larger than {limit} bytes") : n;
        }
    }
}
