using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace V2VConverter.TestSupport;

/// <summary>How a <see cref="FakeSoapServer"/> treats a connection.</summary>
public enum FakeServerMode
{
    /// <summary>TLS, then each HTTP request is answered by the responder.</summary>
    Answer,

    /// <summary>TLS, then the request is read and never answered (a hung SOAP call).</summary>
    SilentAfterTls,

    /// <summary>The TCP connection is accepted and read, and nothing is ever sent (no TLS ServerHello).</summary>
    SilentTcp,
}

/// <summary>
/// A small HTTPS server on 127.0.0.1 for the failures vcsim cannot play: a scripted answer to each SOAP
/// request (a fault that echoes the request, say), a server that completes TLS and never answers, one that
/// accepts TCP and never sends a byte. Its certificate is self-signed; pin it with <see cref="Sha256"/>.
/// </summary>
public sealed class FakeSoapServer : IDisposable
{
    /// <summary>A ServiceContent answer (ESXi, apiVersion 8.0) for RetrieveServiceContent.</summary>
    public const string ServiceContent = """
        <RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>
          <rootFolder type="Folder">ha-folder-root</rootFolder><propertyCollector type="PropertyCollector">ha-property-collector</propertyCollector>
          <viewManager type="ViewManager">ViewManager</viewManager><about><fullName>Fake ESXi</fullName><apiVersion>8.0.2.0</apiVersion><apiType>HostAgent</apiType></about>
          <sessionManager type="SessionManager">ha-sessionmgr</sessionManager><searchIndex type="SearchIndex">ha-searchindex</searchIndex>
        </returnval></RetrieveServiceContentResponse>
        """;

    private readonly TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly Func<string, string, (int Status, string Body)> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Lock _gate = new();
    private int _requests;

    /// <param name="mode">How connections are treated.</param>
    /// <param name="respond">For <see cref="FakeServerMode.Answer"/>: (SOAP method, request body) to (HTTP status, SOAP Body content).</param>
    public FakeSoapServer(FakeServerMode mode, Func<string, string, (int Status, string Body)>? respond = null)
    {
        Mode = mode;
        _respond = respond ?? ((method, _) => method == "RetrieveServiceContent" ? (200, ServiceContent) : (500, Fault("NotImplemented", method)));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        Sha256 = string.Join(':', SHA256.HashData(_certificate.RawData).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptLoop();
    }

    public FakeServerMode Mode { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string HostPort => $"127.0.0.1:{Port}";

    /// <summary>The certificate's SHA-256 fingerprint, colon hex (for <c>--thumbprint</c>).</summary>
    public string Sha256 { get; }

    /// <summary>HTTP requests read so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A SOAP fault body of vim25 type <paramref name="type"/> with <paramref name="text"/> as faultstring (escaped here).</summary>
    public static string Fault(string type, string text) =>
        $"""<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>{System.Security.SecurityElement.Escape(text)}</faultstring><detail><{type}Fault xmlns="urn:vim25" xsi:type="{type}"></{type}Fault></detail></soapenv:Fault>""";

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_gate)
        {
            foreach (var c in _clients)
            {
                c.Dispose();
            }
        }

        _certificate.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_gate)
            {
                _clients.Add(client);
            }

            _ = Serve(client);
        }
    }

    private async Task Serve(TcpClient client)
    {
        try
        {
            var net = client.GetStream();
            if (Mode == FakeServerMode.SilentTcp)
            {
                var sink = new byte[4096];
                while (await net.ReadAsync(sink, _stop.Token) > 0)
                {
                }

                return;
            }

            await using var tls = new SslStream(net, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            while (await ReadRequest(tls) is { } body)
            {
                Interlocked.Increment(ref _requests);
                if (Mode == FakeServerMode.SilentAfterTls)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                var method = MethodOf(body);
                var (status, content) = _respond(method, body);
                var envelope = $"""<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>{content}</soapenv:Body></soapenv:Envelope>""";
                var bytes = Encoding.UTF8.GetBytes(envelope);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {(status == 200 ? "OK" : "Internal Server Error")}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {bytes.Length}\r\n\r\n");
                await tls.WriteAsync(head, _stop.Token);
                await tls.WriteAsync(bytes, _stop.Token);
                await tls.FlushAsync(_stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away or the test ended.
        }
    }

    /// <summary>Reads one HTTP/1.1 request (headers, then Content-Length bytes of body); null at the end of the connection.</summary>
    private async Task<string?> ReadRequest(Stream s)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await s.ReadAsync(one, _stop.Token) == 0)
            {
                return null;
            }

            head.Add(one[0]);
        }

        var headers = Encoding.ASCII.GetString(head.ToArray());
        var length = headers.Split("\r\n")
            .Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => int.Parse(l["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
            .FirstOrDefault();
        var body = new byte[length];
        await s.ReadExactlyAsync(body, _stop.Token);
        return Encoding.UTF8.GetString(body);
    }

    private static string MethodOf(string body)
    {
        var doc = System.Xml.Linq.XDocument.Parse(body);
        var call = doc.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "Body")?.Elements().FirstOrDefault();
        return call?.Name.LocalName ?? "";
    }
}
