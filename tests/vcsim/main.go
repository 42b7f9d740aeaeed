// vcsim-v2v: a small launcher around govmomi's vSphere simulator for the V2VConverter tests
// and the inventory benchmark. It builds an ESX or VPX model, serves it over TLS on a loopback
// port, writes a .vmx for every VM (the simulator leaves the file empty), prints one JSON line
// describing the server to stdout, and runs until it is killed or stdin closes.
package main

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net/url"
	"os"
	"os/signal"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type vmInfo struct {
	Name       string `json:"name"`
	VmPathName string `json:"vmPathName"`
	PowerState string `json:"powerState"`
}

type banner struct {
	URL          string            `json:"url"`
	Host         string            `json:"host"`
	SHA1         string            `json:"sha1"`
	SHA256       string            `json:"sha256"`
	CertFile     string            `json:"certFile"`
	Datacenters  []string          `json:"datacenters"`
	Datastores   map[string]string `json:"datastores"`
	VMs          []vmInfo          `json:"vms"`
	Snapshots    map[string]string `json:"snapshots"`
}

func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}

func main() {
	model := flag.String("model", "esx", "esx or vpx")
	vms := flag.Int("vm", -1, "VMs per host/resource pool (default: the model's)")
	hosts := flag.Int("host", -1, "standalone hosts per datacenter (vpx)")
	clusters := flag.Int("cluster", -1, "clusters per datacenter (vpx)")
	clusterHosts := flag.Int("cluster-host", -1, "hosts per cluster (vpx)")
	user := flag.String("user", "user", "required user name")
	pass := flag.String("pass", "pass", "required password")
	off := flag.String("off", "", "comma-separated VM names to power off, or 'all'")
	snap := flag.String("snapshot", "", "VM:SNAPSHOT to create a snapshot on")
	writeVmx := flag.Bool("write-vmx", true, "write a .vmx file for every VM from its config")
	flag.Parse()

	var m *simulator.Model
	switch *model {
	case "esx":
		m = simulator.ESX()
	case "vpx":
		m = simulator.VPX()
	default:
		fmt.Fprintf(os.Stderr, "unknown model %q\n", *model)
		os.Exit(2)
	}
	if *vms >= 0 {
		m.Machine = *vms
	}
	if *hosts >= 0 {
		m.Host = *hosts
	}
	if *clusters >= 0 {
		m.Cluster = *clusters
	}
	if *clusterHosts >= 0 {
		m.ClusterHost = *clusterHosts
	}
	defer m.Remove()
	if err := m.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "create:", err)
		os.Exit(1)
	}

	m.Service.TLS = new(tls.Config)
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(*user, *pass)}
	s := m.Service.NewServer()
	defer s.Close()

	ctx := context.Background()
	u := *s.URL
	u.User = url.UserPassword(*user, *pass)
	c, err := govmomi.NewClient(ctx, &u, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}

	offSet := map[string]bool{}
	for _, n := range strings.Split(*off, ",") {
		if n != "" {
			offSet[n] = true
		}
	}
	snapshots := map[string]string{}
	if *snap != "" {
		kv := strings.SplitN(*snap, ":", 2)
		if len(kv) == 2 {
			snapshots[kv[0]] = kv[1]
		}
	}

	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		ref := object.NewVirtualMachine(c.Client, vm.Self)
		if (offSet["all"] || offSet[vm.Name]) && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			if t, err := ref.PowerOff(ctx); err == nil {
				_ = t.Wait(ctx)
			}
		}
		if name, ok := snapshots[vm.Name]; ok {
			if t, err := ref.CreateSnapshot(ctx, name, "created by vcsim-v2v", false, false); err == nil {
				_ = t.Wait(ctx)
			}
		}
	}
	_ = c.Logout(ctx)

	out := banner{
		URL:        (&url.URL{Scheme: s.URL.Scheme, Host: s.URL.Host, Path: s.URL.Path}).String(),
		Host:       s.URL.Host,
		Datastores: map[string]string{},
		Snapshots:  snapshots,
	}
	cert := s.Certificate()
	h1 := sha1.Sum(cert.Raw)
	h256 := sha256.Sum256(cert.Raw)
	out.SHA1 = colonHex(h1[:])
	out.SHA256 = colonHex(h256[:])
	out.CertFile, _ = s.CertificateFile()

	for _, e := range simulator.Map.All("Datacenter") {
		out.Datacenters = append(out.Datacenters, e.Entity().Name)
	}
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		out.Datastores[ds.Name] = ds.Info.GetDatastoreInfo().Url
	}
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		out.VMs = append(out.VMs, vmInfo{vm.Name, vm.Config.Files.VmPathName, string(vm.Runtime.PowerState)})
		if *writeVmx {
			if err := writeVmxFile(vm, out.Datastores); err != nil {
				fmt.Fprintln(os.Stderr, "vmx:", err)
				os.Exit(1)
			}
		}
	}
	sort.Slice(out.VMs, func(i, j int) bool { return out.VMs[i].Name < out.VMs[j].Name })
	sort.Strings(out.Datacenters)

	line, _ := json.Marshal(out)
	fmt.Println(string(line))

	// Run until killed, or until the parent closes our stdin.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(ioutil.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-sig:
	case <-done:
	}
}

// splitDatastorePath turns "[ds] dir/file" into ("ds", "dir/file").
func splitDatastorePath(p string) (string, string) {
	if strings.HasPrefix(p, "[") {
		if i := strings.Index(p, "]"); i > 0 {
			return p[1:i], strings.TrimSpace(p[i+1:])
		}
	}
	return "", p
}

// vmxGuestOS maps an API guest id to the .vmx guestOS spelling ESXi writes ("otherGuest64" -> "other-64").
func vmxGuestOS(id string) string {
	s := strings.TrimSuffix(strings.Replace(id, "Guest", "", 1), "_")
	if strings.HasSuffix(s, "64") && !strings.HasSuffix(s, "-64") {
		s = strings.TrimSuffix(s, "64") + "-64"
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// vmxUUID writes a uuid the way uuid.bios does: "56 4d 12 ... 9a-bc de ...".
func vmxUUID(u string) string {
	h := strings.ReplaceAll(u, "-", "")
	if len(h) != 32 {
		return ""
	}
	var b strings.Builder
	for i := 0; i < 16; i++ {
		if i == 8 {
			b.WriteString("-")
		} else if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(strings.ToLower(h[2*i : 2*i+2]))
	}
	return b.String()
}

// writeVmxFile writes the configuration ESXi would keep for this VM, from its config.hardware.
func writeVmxFile(vm *simulator.VirtualMachine, datastores map[string]string) error {
	dsName, rel := splitDatastorePath(vm.Config.Files.VmPathName)
	root, ok := datastores[dsName]
	if !ok {
		return fmt.Errorf("datastore %q of %s not found", dsName, vm.Name)
	}
	vmxDir := path.Dir(rel)

	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%s = \"%s\"\n", k, v) }
	kv(".encoding", "UTF-8")
	kv("config.version", "8")
	kv("virtualHW.version", strings.TrimPrefix(vm.Config.Version, "vmx-"))
	kv("displayName", vm.Name)
	kv("guestOS", vmxGuestOS(vm.Config.GuestId))
	kv("memSize", fmt.Sprint(vm.Config.Hardware.MemoryMB))
	kv("numvcpus", fmt.Sprint(vm.Config.Hardware.NumCPU))
	if vm.Config.Hardware.NumCoresPerSocket > 0 {
		kv("cpuid.coresPerSocket", fmt.Sprint(vm.Config.Hardware.NumCoresPerSocket))
	}
	if id := vmxUUID(vm.Config.Uuid); id != "" {
		kv("uuid.bios", id)
	}

	bus := map[int32]string{} // controller key -> "scsi0", "ide1", ...
	for _, d := range vm.Config.Hardware.Device {
		switch c := d.(type) {
		case *types.ParaVirtualSCSIController:
			bus[c.Key] = fmt.Sprintf("scsi%d", c.BusNumber)
			kv(bus[c.Key]+".present", "TRUE")
			kv(bus[c.Key]+".virtualDev", "pvscsi")
		case *types.VirtualLsiLogicController:
			bus[c.Key] = fmt.Sprintf("scsi%d", c.BusNumber)
			kv(bus[c.Key]+".present", "TRUE")
			kv(bus[c.Key]+".virtualDev", "lsilogic")
		case *types.VirtualLsiLogicSASController:
			bus[c.Key] = fmt.Sprintf("scsi%d", c.BusNumber)
			kv(bus[c.Key]+".present", "TRUE")
			kv(bus[c.Key]+".virtualDev", "lsisas1068")
		case *types.VirtualBusLogicController:
			bus[c.Key] = fmt.Sprintf("scsi%d", c.BusNumber)
			kv(bus[c.Key]+".present", "TRUE")
			kv(bus[c.Key]+".virtualDev", "buslogic")
		case *types.VirtualIDEController:
			bus[c.Key] = fmt.Sprintf("ide%d", c.BusNumber)
		case *types.VirtualAHCIController:
			bus[c.Key] = fmt.Sprintf("sata%d", c.BusNumber)
			kv(bus[c.Key]+".present", "TRUE")
		}
	}

	nic := 0
	for _, d := range vm.Config.Hardware.Device {
		dev := d.GetVirtualDevice()
		switch x := d.(type) {
		case *types.VirtualDisk:
			slot := fmt.Sprintf("%s:%d", bus[dev.ControllerKey], *dev.UnitNumber)
			file := ""
			if fb, ok := dev.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
				file = fb.GetVirtualDeviceFileBackingInfo().FileName
			}
			fds, frel := splitDatastorePath(file)
			if fds == dsName && path.Dir(frel) == vmxDir {
				file = path.Base(frel)
			}
			kv(slot+".present", "TRUE")
			kv(slot+".fileName", file)
			if strings.HasPrefix(slot, "scsi") {
				kv(slot+".deviceType", "scsi-hardDisk")
			}
		case *types.VirtualCdrom:
			// vcsim 0.24 attaches its CD-ROM to the SCSI controller at the disk's own unit;
			// only an IDE/SATA CD-ROM is written, so no two devices share a slot.
			if !strings.HasPrefix(bus[dev.ControllerKey], "ide") && !strings.HasPrefix(bus[dev.ControllerKey], "sata") {
				continue
			}
			slot := fmt.Sprintf("%s:%d", bus[dev.ControllerKey], *dev.UnitNumber)
			kv(slot+".present", "TRUE")
			kv(slot+".deviceType", "atapi-cdrom")
			kv(slot+".fileName", "/dev/cdrom")
			kv(slot+".startConnected", "FALSE")
		case types.BaseVirtualEthernetCard:
			card := x.GetVirtualEthernetCard()
			p := fmt.Sprintf("ethernet%d", nic)
			nic++
			kv(p+".present", "TRUE")
			kv(p+".virtualDev", ethernetModel(d))
			if nb, ok := card.Backing.(*types.VirtualEthernetCardNetworkBackingInfo); ok {
				kv(p+".networkName", nb.DeviceName)
			}
			if dvs, ok := card.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); ok {
				kv(p+".dvs.switchId", dvs.Port.SwitchUuid)
				kv(p+".dvs.portgroupId", dvs.Port.PortgroupKey)
			}
			if card.AddressType == string(types.VirtualEthernetCardMacTypeManual) {
				kv(p+".addressType", "static")
				kv(p+".address", card.MacAddress)
			} else {
				kv(p+".addressType", "vpx")
				kv(p+".generatedAddress", card.MacAddress)
			}
		}
	}

	file := path.Join(root, rel)
	if err := os.MkdirAll(path.Dir(file), 0o755); err != nil {
		return err
	}
	return ioutil.WriteFile(file, []byte(b.String()), 0o644)
}

func ethernetModel(d types.BaseVirtualDevice) string {
	switch d.(type) {
	case *types.VirtualE1000:
		return "e1000"
	case *types.VirtualE1000e:
		return "e1000e"
	case *types.VirtualVmxnet3:
		return "vmxnet3"
	case *types.VirtualVmxnet2:
		return "vmxnet2"
	case *types.VirtualPCNet32:
		return "vlance"
	}
	return "e1000"
}
