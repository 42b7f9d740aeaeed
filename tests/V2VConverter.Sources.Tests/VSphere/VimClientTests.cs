using System.Net;
using System.Text;
using System.Xml.Linq;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>
/// Paging and fault handling of the SOAP client against a scripted responder written from the
/// vim25 WSDL. (vcsim 0.24 ignores maxObjects and never returns a token, so paging through
/// ContinueRetrievePropertiesEx cannot be forced against it; the vcsim tests cover the one-page path.)
/// </summary>
public sealed class VimClientTests
{
    private const string Envelope = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>{0}</soapenv:Body></soapenv:Envelope>""";

    private const string ServiceContent = """
        <RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>
          <rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>
          <viewManager type="ViewManager">ViewManager</viewManager><about><fullName>Fake vCenter</fullName><apiVersion>8.0.2.0</apiVersion><apiType>VirtualCenter</apiType></about>
          <sessionManager type="SessionManager">SessionManager</sessionManager><searchIndex type="SearchIndex">SearchIndex</searchIndex>
        </returnval></RetrieveServiceContentResponse>
        """;

    private sealed class ScriptedHandler(Func<XElement, string> respond) : HttpMessageHandler
    {
        public List<string> Methods { get; } = [];

        public List<string> SoapActions { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var doc = XDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
            var call = doc.Root!.Element(VimClient.Soap + "Body")!.Elements().Single();
            Methods.Add(call.Name.LocalName);
            SoapActions.Add(string.Join(",", request.Headers.GetValues("SOAPAction")));
            var body = respond(call);
            var status = body.Contains("<soapenv:Fault>", StringComparison.Ordinal) ? HttpStatusCode.InternalServerError : HttpStatusCode.OK;
            return new HttpResponseMessage(status) { Content = new StringContent(string.Format(System.Globalization.CultureInfo.InvariantCulture, Envelope, body), Encoding.UTF8, "text/xml") };
        }
    }

    private static string Vm(int i) => $"""
        <objects><obj type="VirtualMachine">vm-{i}</obj>
          <propSet><name>name</name><val xsi:type="xsd:string">vm{i:D2}</val></propSet>
          <propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">poweredOff</val></propSet>
          <propSet><name>config.hardware.numCPU</name><val xsi:type="xsd:int">2</val></propSet>
        </objects>
        """;

    [Fact]
    public async Task RetrievePropertiesEx_follows_continue_tokens_until_the_last_page()
    {
        var ct = TestContext.Current.CancellationToken;
        var handler = new ScriptedHandler(call => call.Name.LocalName switch
        {
            "RetrieveServiceContent" => ServiceContent,
            "RetrievePropertiesEx" => call.Element(VimClient.Vim + "options")!.Element(VimClient.Vim + "maxObjects")!.Value == "2"
                ? $"""<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t1</token>{Vm(0)}{Vm(1)}</returnval></RetrievePropertiesExResponse>"""
                : throw new InvalidOperationException("maxObjects was not sent"),
            "ContinueRetrievePropertiesEx" => call.Element(VimClient.Vim + "token")!.Value == "t1"
                ? $"""<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t2</token>{Vm(2)}{Vm(3)}</returnval></ContinueRetrievePropertiesExResponse>"""
                : $"""<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval>{Vm(4)}</returnval></ContinueRetrievePropertiesExResponse>""",
            _ => throw new InvalidOperationException(call.Name.LocalName),
        });
        using var http = new HttpClient(handler);
        var vim = new VimClient(http, new Uri("https://fake/sdk"));
        var sc = await vim.RetrieveServiceContentAsync(ct);
        Assert.True(sc.IsVCenter);

        var objects = await vim.RetrieveFromViewAsync(new MoRef("ContainerView", "session[1]view-1"), VSphereInventory.PropertySpecs, 2, ct);
        var vms = VSphereInventory.Build(objects);

        Assert.Equal(["vm00", "vm01", "vm02", "vm03", "vm04"], vms.Select(v => v.Name));
        Assert.All(vms, v => Assert.Equal(2, v.NumCpu));
        Assert.Equal(2, vim.ContinueCalls);
        Assert.Equal(["RetrieveServiceContent", "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "ContinueRetrievePropertiesEx"], handler.Methods);
        Assert.Equal("\"urn:vim25/8.0.2.0\"", handler.SoapActions[^1]);
    }

    [Fact]
    public async Task A_soap_fault_becomes_a_vim_fault_with_its_type()
    {
        var ct = TestContext.Current.CancellationToken;
        var handler = new ScriptedHandler(call => call.Name.LocalName == "RetrieveServiceContent"
            ? ServiceContent
            : """<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>The object 'vim.view.ContainerView:gone' has already been deleted or has not been completely created</faultstring><detail><ManagedObjectNotFoundFault xmlns="urn:vim25" xsi:type="ManagedObjectNotFound"><obj type="ContainerView">gone</obj></ManagedObjectNotFoundFault></detail></soapenv:Fault>""");
        using var http = new HttpClient(handler);
        var vim = new VimClient(http, new Uri("https://fake/sdk"));
        await vim.RetrieveServiceContentAsync(ct);

        var ex = await Assert.ThrowsAsync<VimFaultException>(() => vim.DestroyViewAsync(new MoRef("ContainerView", "gone"), ct));

        Assert.Equal("ManagedObjectNotFound", ex.FaultType);
        Assert.Equal("vSphere fake refused DestroyView: ManagedObjectNotFound: The object 'vim.view.ContainerView:gone' has already been deleted or has not been completely created", ex.Message);
    }

    [Fact]
    public async Task Invalid_login_fault_names_user_and_host_not_password()
    {
        var ct = TestContext.Current.CancellationToken;
        var handler = new ScriptedHandler(call => call.Name.LocalName == "RetrieveServiceContent"
            ? ServiceContent
            : """<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an incorrect user name or password.</faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault>""");
        using var http = new HttpClient(handler);
        var vim = new VimClient(http, new Uri("https://vc.example.com/sdk"));
        await vim.RetrieveServiceContentAsync(ct);

        var ex = await Assert.ThrowsAsync<VimFaultException>(() => vim.LoginAsync(new VSphereCredentials("alice", "s3cr3t", "V2V_PASSWORD"), ct));

        Assert.Equal("login failed for user alice at vc.example.com: user name or password is wrong (password from V2V_PASSWORD)", ex.Message);
    }

    /// <summary>Issue 11 point 4: a fault quoting the Login request carries the password XML-escaped; the exception message masks it.</summary>
    [Fact]
    public async Task A_fault_that_echoes_the_login_request_does_not_put_the_password_in_the_exception()
    {
        var ct = TestContext.Current.CancellationToken;
        const string password = "Vc9Wm&<pw>\"x";
        Model.Diagnostics.Secrets.Register(password);
        var handler = new ScriptedHandler(call => call.Name.LocalName == "RetrieveServiceContent"
            ? ServiceContent
            : $"""<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>bad request: {System.Security.SecurityElement.Escape(call.ToString(SaveOptions.DisableFormatting))}</faultstring><detail><SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"></SystemErrorFault></detail></soapenv:Fault>""");
        using var http = new HttpClient(handler);
        var vim = new VimClient(http, new Uri("https://vc.example.com/sdk"));
        await vim.RetrieveServiceContentAsync(ct);

        var ex = await Assert.ThrowsAsync<VimFaultException>(() => vim.LoginAsync(new VSphereCredentials("alice", password, "V2V_PASSWORD"), ct));

        Assert.Equal("SystemError", ex.FaultType);
        Assert.Contains("<userName>alice</userName><password>********</password>", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Vc9Wm", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_xml_error_page_is_an_http_error()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient(new StaticHandler(HttpStatusCode.ServiceUnavailable, "<html>down"));
        var vim = new VimClient(http, new Uri("https://vc/sdk"));
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => vim.RetrieveServiceContentAsync(ct));
        Assert.Contains("vim25 RetrieveServiceContent at https://vc/sdk: HTTP 503", ex.Message, StringComparison.Ordinal);
    }

    private sealed class StaticHandler(HttpStatusCode code, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(code) { Content = new StringContent(body) });
    }
}
