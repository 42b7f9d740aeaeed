// vcsim-v2v: a small launcher around govmomi's vSphere simulator for the V2VConverter tests
// and the inventory benchmark. It builds an ESX or VPX model, serves it over TLS on a loopback
// port, writes a .vmx for every VM (the simulator leaves the file empty), prints one JSON line
// describing the server to stdout, and runs until it is killed or stdin closes.
package main

import (
	"bytes"
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
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type vmInfo struct {
	Name       string `json:"name"`
	VmPathName string `json:"vmPathName"`
	PowerState string `json:"powerState"`
	Ref        string `json:"ref"`
	Host       string `json:"host"`
	Folder     string `json:"folder"`
	Disks      []string `json:"disks"`
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
	on := flag.String("on", "", "with -off all: comma-separated VM names to leave powered on")
	snap := flag.String("snapshot", "", "VM:SNAPSHOT[,VM:SNAPSHOT...] to create snapshots on")
	rdm := flag.String("rdm", "", "VM[,VM]: add a second disk that is a physical-mode RDM")
	dup := flag.String("dup", "", "NAME=VMa,VMb: move VMb into a folder Dup and rename both to NAME")
	cbt := flag.String("cbt", "", "VM[,VM]: turn changed block tracking on")
	efi := flag.String("efi", "", "VM[,VM]: firmware efi")
	secureBoot := flag.String("secure-boot", "", "VM[,VM]: firmware efi with Secure Boot")
	encrypted := flag.String("encrypted", "", "VM[,VM]: mark encrypted (config.keyId)")
	vtpm := flag.String("vtpm", "", "VM[,VM]: add a VirtualTPM device")
	vgpu := flag.String("vgpu", "", "VM[,VM]: add a vGPU (PCI passthrough, profile grid_t4-2q)")
	shared := flag.String("shared-bus", "", "VM[,VM]: the SCSI controller's bus is shared (physicalSharing)")
	ignoreShutdown := flag.String("ignore-shutdown", "", "VM[,VM]: ShutdownGuest succeeds but the guest keeps running")
	noTools := flag.String("no-tools", "", "VM[,VM]: ShutdownGuest fails with ToolsUnavailable")
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
	for _, item := range strings.Split(*snap, ",") {
		kv := strings.SplitN(item, ":", 2)
		if len(kv) == 2 {
			snapshots[kv[0]] = kv[1]
		}
	}
	extra := vmxExtras{
		rdm: set(*rdm), cbt: set(*cbt), efi: set(*efi), secureBoot: set(*secureBoot), encrypted: set(*encrypted),
		vtpm: set(*vtpm), vgpu: set(*vgpu), shared: set(*shared),
	}

	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		ref := object.NewVirtualMachine(c.Client, vm.Self)
		if (offSet["all"] || offSet[vm.Name]) && !set(*on)[vm.Name] && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			if t, err := ref.PowerOff(ctx); err == nil {
				_ = t.Wait(ctx)
			}
		}
		if name, ok := snapshots[vm.Name]; ok {
			if t, err := ref.CreateSnapshot(ctx, name, "created by vcsim-v2v", false, false); err == nil {
				_ = t.Wait(ctx)
			}
		}
		spec := types.VirtualMachineConfigSpec{}
		changed := false
		if extra.cbt[vm.Name] {
			spec.ChangeTrackingEnabled = types.NewBool(true)
			changed = true
		}
		if extra.efi[vm.Name] || extra.secureBoot[vm.Name] {
			spec.Firmware = string(types.GuestOsDescriptorFirmwareTypeEfi)
			changed = true
		}
		if extra.secureBoot[vm.Name] {
			spec.BootOptions = &types.VirtualMachineBootOptions{EfiSecureBootEnabled: types.NewBool(true)}
		}
		if changed {
			t, err := ref.Reconfigure(ctx, spec)
			if err == nil {
				err = t.Wait(ctx)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "reconfigure", vm.Name, ":", err)
				os.Exit(1)
			}
		}
	}
	// Devices and keys the simulator's ReconfigVM does not take (its disk layout code only knows flat disks):
	// set on its objects directly, last, so no later call rebuilds the layout.
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		simulator.Map.WithLock(vm, func() { extra.apply(vm) })
	}
	if *dup != "" {
		if err := duplicate(ctx, c, *dup); err != nil {
			fmt.Fprintln(os.Stderr, "dup:", err)
			os.Exit(1)
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
	st := newStats()
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		info := vmInfo{Name: vm.Name, VmPathName: vm.Config.Files.VmPathName, PowerState: string(vm.Runtime.PowerState), Ref: vm.Self.Value}
		if vm.Runtime.Host != nil {
			info.Host = simulator.Map.Get(*vm.Runtime.Host).(mo.Entity).Entity().Name
		}
		if vm.Parent != nil {
			if f, ok := simulator.Map.Get(*vm.Parent).(*simulator.Folder); ok {
				info.Folder = f.Name
			}
		}
		for _, d := range vm.Config.Hardware.Device {
			if disk, ok := d.(*types.VirtualDisk); ok {
				if fb, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
					info.Disks = append(info.Disks, fb.GetVirtualDeviceFileBackingInfo().FileName)
				}
			}
		}
		out.VMs = append(out.VMs, info)
		ds, rel := splitDatastorePath(vm.Config.Files.VmPathName)
		st.hostOf[ds+"/"+path.Dir(rel)] = info.Host
		if *writeVmx {
			if err := writeVmxFile(vm, out.Datastores, extra); err != nil {
				fmt.Fprintln(os.Stderr, "vmx:", err)
				os.Exit(1)
			}
		}
	}
	sort.Slice(out.VMs, func(i, j int) bool {
		if out.VMs[i].Name != out.VMs[j].Name {
			return out.VMs[i].Name < out.VMs[j].Name
		}
		return out.VMs[i].Ref < out.VMs[j].Ref
	})
	intercept := map[string]string{}
	for name := range set(*ignoreShutdown) {
		intercept[refOf(out.VMs, name)] = "ignore"
	}
	for name := range set(*noTools) {
		intercept[refOf(out.VMs, name)] = "no-tools"
	}
	s.Config.Handler = st.wrap(s.Config.Handler, intercept)
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
func writeVmxFile(vm *simulator.VirtualMachine, datastores map[string]string, extra vmxExtras) error {
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
	if vm.Config.Firmware == "efi" {
		kv("firmware", "efi")
	}
	if vm.Config.BootOptions != nil && vm.Config.BootOptions.EfiSecureBootEnabled != nil && *vm.Config.BootOptions.EfiSecureBootEnabled {
		kv("uefi.secureBoot.enabled", "TRUE")
	}
	cbtOn := vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
	if cbtOn {
		kv("ctkEnabled", "TRUE")
	}
	if vm.Config.KeyId != nil {
		kv("encryption.keySafe", "vmware:key/list/(pair/(fqid/<VMWARE-NULL>/"+vm.Config.KeyId.KeyId+",HMAC-SHA-256,AAAA))")
		kv("encryption.data", "AAAA")
	}

	bus := map[int32]string{} // controller key -> "scsi0", "ide1", ...
	for _, d := range vm.Config.Hardware.Device {
		switch c := d.(type) {
		case types.BaseVirtualSCSIController:
			scsi := c.GetVirtualSCSIController()
			bus[scsi.Key] = fmt.Sprintf("scsi%d", scsi.BusNumber)
			kv(bus[scsi.Key]+".present", "TRUE")
			kv(bus[scsi.Key]+".virtualDev", scsiModel(d))
			switch scsi.SharedBus {
			case types.VirtualSCSISharingPhysicalSharing:
				kv(bus[scsi.Key]+".sharedBus", "physical")
			case types.VirtualSCSISharingVirtualSharing:
				kv(bus[scsi.Key]+".sharedBus", "virtual")
			}
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
			if rdmBacking, ok := dev.Backing.(*types.VirtualDiskRawDiskMappingVer1BackingInfo); ok {
				kv(slot+".mode", strings.ReplaceAll(rdmBacking.DiskMode, "_", "-"))
				if err := writeRdmDescriptor(datastores, rdmBacking); err != nil {
					return err
				}
			} else if strings.HasPrefix(slot, "scsi") {
				kv(slot+".deviceType", "scsi-hardDisk")
			}
			if cbtOn {
				kv(slot+".ctkEnabled", "TRUE")
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
		case *types.VirtualTPM:
			kv("vtpm.present", "TRUE")
		case *types.VirtualPCIPassthrough:
			if b, ok := dev.Backing.(*types.VirtualPCIPassthroughVmiopBackingInfo); ok {
				kv("pciPassthru0.present", "TRUE")
				kv("pciPassthru0.vgpu", b.Vgpu)
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

func scsiModel(d types.BaseVirtualDevice) string {
	switch d.(type) {
	case *types.ParaVirtualSCSIController:
		return "pvscsi"
	case *types.VirtualLsiLogicSASController:
		return "lsisas1068"
	case *types.VirtualBusLogicController:
		return "buslogic"
	}
	return "lsilogic"
}

// set splits "a,b,c" into a set.
func set(list string) map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out[n] = true
		}
	}
	return out
}

func refOf(vms []vmInfo, name string) string {
	for _, v := range vms {
		if v.Name == name || v.Ref == name {
			return v.Ref
		}
	}
	fmt.Fprintf(os.Stderr, "no VM named %q\n", name)
	os.Exit(2)
	return ""
}

// vmxExtras: the per-VM features set on the simulator's objects directly.
type vmxExtras struct {
	rdm, cbt, efi, secureBoot, encrypted, vtpm, vgpu, shared map[string]bool
}

func (x vmxExtras) apply(vm *simulator.VirtualMachine) {
	if x.encrypted[vm.Name] {
		vm.Config.KeyId = &types.CryptoKeyId{KeyId: "v2v-key-" + vm.Self.Value, ProviderId: &types.KeyProviderId{Id: "v2v-kms"}}
	}
	if x.vtpm[vm.Name] {
		vm.Config.Hardware.Device = append(vm.Config.Hardware.Device, &types.VirtualTPM{VirtualDevice: types.VirtualDevice{
			Key: 11000, DeviceInfo: &types.Description{Label: "Virtual TPM", Summary: "Virtual TPM"},
		}})
	}
	if x.vgpu[vm.Name] {
		vm.Config.Hardware.Device = append(vm.Config.Hardware.Device, &types.VirtualPCIPassthrough{VirtualDevice: types.VirtualDevice{
			Key: 13000, DeviceInfo: &types.Description{Label: "PCI device 0", Summary: "NVIDIA GRID vGPU grid_t4-2q"},
			Backing: &types.VirtualPCIPassthroughVmiopBackingInfo{Vgpu: "grid_t4-2q"},
		}})
	}
	var scsi *types.VirtualSCSIController
	for _, d := range vm.Config.Hardware.Device {
		if c, ok := d.(types.BaseVirtualSCSIController); ok && scsi == nil {
			scsi = c.GetVirtualSCSIController()
		}
	}
	if scsi == nil {
		return
	}
	if x.shared[vm.Name] {
		scsi.SharedBus = types.VirtualSCSISharingPhysicalSharing
	}
	if x.rdm[vm.Name] {
		addRdm(vm, scsi)
	}
}

// addRdm adds a second disk to the VM: a physical-mode RDM whose mapping file sits in the VM's folder,
// with its layoutEx entries (descriptor and -rdmp mapping), as ESXi lists them.
func addRdm(vm *simulator.VirtualMachine, scsi *types.VirtualSCSIController) {
	used := map[int32]bool{7: true}
	for _, d := range vm.Config.Hardware.Device {
		if dev := d.GetVirtualDevice(); dev.ControllerKey == scsi.Key && dev.UnitNumber != nil {
			used[*dev.UnitNumber] = true
		}
	}
	unit := int32(0)
	for used[unit] {
		unit++
	}
	ds, rel := splitDatastorePath(vm.Config.Files.VmPathName)
	dir := path.Dir(rel)
	base := path.Base(dir) + "_rdm"
	file := fmt.Sprintf("[%s] %s/%s.vmdk", ds, dir, base)
	vm.Config.Hardware.Device = append(vm.Config.Hardware.Device, &types.VirtualDisk{
		VirtualDevice: types.VirtualDevice{
			Key:           2100,
			ControllerKey: scsi.Key,
			UnitNumber:    &unit,
			DeviceInfo:    &types.Description{Label: "Hard disk 2", Summary: "1,024 KB"},
			Backing: &types.VirtualDiskRawDiskMappingVer1BackingInfo{
				VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: file},
				LunUuid:                      "0200000000600a0b80001111550000000000000000000000",
				DeviceName:                   "/vmfs/devices/disks/naa.600a0b8000111155",
				CompatibilityMode:            "physicalMode",
				DiskMode:                     string(types.VirtualDiskModeIndependent_persistent),
			},
		},
		CapacityInKB:    1024,
		CapacityInBytes: 1024 * 1024,
	})
	key := int32(0)
	for _, f := range vm.LayoutEx.File {
		if f.Key >= key {
			key = f.Key + 1
		}
	}
	vm.LayoutEx.File = append(vm.LayoutEx.File,
		types.VirtualMachineFileLayoutExFileInfo{Key: key, Name: file, Type: "diskDescriptor", Size: 512},
		types.VirtualMachineFileLayoutExFileInfo{Key: key + 1, Name: fmt.Sprintf("[%s] %s/%s-rdmp.vmdk", ds, dir, base), Type: "diskExtent", Size: 1024 * 1024})
	vm.LayoutEx.Disk = append(vm.LayoutEx.Disk, types.VirtualMachineFileLayoutExDiskLayout{
		Key:   2100,
		Chain: []types.VirtualMachineFileLayoutExDiskUnit{{FileKey: []int32{key, key + 1}}},
	})
}

// writeRdmDescriptor writes the mapping file ESXi keeps for a physical-mode RDM (the -rdmp file is the LUN: absent).
func writeRdmDescriptor(datastores map[string]string, b *types.VirtualDiskRawDiskMappingVer1BackingInfo) error {
	ds, rel := splitDatastorePath(b.FileName)
	root, ok := datastores[ds]
	if !ok {
		return fmt.Errorf("datastore %q of %s not found", ds, b.FileName)
	}
	extent := strings.TrimSuffix(path.Base(rel), ".vmdk") + "-rdmp.vmdk"
	text := "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=fffffffe\nparentCID=ffffffff\n" +
		"createType=\"vmfsPassthroughRawDeviceMap\"\n\n# Extent description\nRW 2048 VMFSRDM \"" + extent + "\"\n\n" +
		"# The Disk Data Base\n#DDB\n\nddb.adapterType = \"lsilogic\"\nddb.virtualHWVersion = \"13\"\n"
	return ioutil.WriteFile(path.Join(root, rel), []byte(text), 0o644)
}

// duplicate handles -dup NAME=VMa,VMb: a folder "Dup" under VMb's folder (the datacenter's vm folder),
// VMb moved into it, and both VMs renamed to NAME.
func duplicate(ctx context.Context, c *govmomi.Client, spec string) error {
	kv := strings.SplitN(spec, "=", 2)
	if len(kv) != 2 {
		return fmt.Errorf("-dup %q: expected NAME=VMa,VMb", spec)
	}
	pair := strings.Split(kv[1], ",")
	if len(pair) != 2 {
		return fmt.Errorf("-dup %q: expected two VMs", spec)
	}
	var refs []*simulator.VirtualMachine
	for _, n := range pair {
		var found *simulator.VirtualMachine
		for _, e := range simulator.Map.All("VirtualMachine") {
			if vm := e.(*simulator.VirtualMachine); vm.Name == n {
				found = vm
			}
		}
		if found == nil {
			return fmt.Errorf("-dup: no VM named %q", n)
		}
		refs = append(refs, found)
	}
	parent := simulator.Map.Get(*refs[1].Parent).(*simulator.Folder)
	// An ESXi host has no VM folders; the simulator's ESX model allows them once the type is listed.
	simulator.Map.WithLock(parent, func() {
		if !contains(parent.ChildType, "Folder") {
			parent.ChildType = append(parent.ChildType, "Folder")
		}
	})
	folder, err := object.NewFolder(c.Client, parent.Self).CreateFolder(ctx, "Dup")
	if err != nil {
		return err
	}
	t, err := folder.MoveInto(ctx, []types.ManagedObjectReference{refs[1].Self})
	if err == nil {
		err = t.Wait(ctx)
	}
	if err != nil {
		return err
	}
	for _, vm := range refs {
		t, err := object.NewVirtualMachine(c.Client, vm.Self).Rename(ctx, kv[0])
		if err == nil {
			err = t.Wait(ctx)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stats counts the datastore downloads in flight per VM folder, and keeps the maximum number of VM folders
// with a download in flight at once, overall and per host (the host that runs the VM).
type stats struct {
	mu        sync.Mutex
	hostOf    map[string]string // "ds/vmdir" -> host name
	inflight  map[string]int    // "ds/vmdir" -> GETs in flight
	max       int
	maxByHost map[string]int
	downloads int
}

func newStats() *stats {
	return &stats{hostOf: map[string]string{}, inflight: map[string]int{}, maxByHost: map[string]int{}}
}

func (s *stats) enter(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downloads++
	s.inflight[key]++
	active, byHost := 0, map[string]int{}
	for k, n := range s.inflight {
		if n > 0 {
			active++
			byHost[s.host(k)]++
		}
	}
	if active > s.max {
		s.max = active
	}
	for h, n := range byHost {
		if n > s.maxByHost[h] {
			s.maxByHost[h] = n
		}
	}
}

func (s *stats) leave(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[key]--; s.inflight[key] <= 0 {
		delete(s.inflight, key)
	}
}

func (s *stats) host(key string) string {
	if h, ok := s.hostOf[key]; ok && h != "" {
		return h
	}
	return "unknown"
}

var shutdownRef = regexp.MustCompile(`<ShutdownGuest[^>]*>\s*<_this[^>]*>\s*([^<\s]+)\s*</_this>`)

const soapEnvelope = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>`

// wrap serves GET/POST /v2v-stats(/reset), counts GET /folder/<vmdir>/..., and answers ShutdownGuest itself
// for the VMs in intercept ("ignore": accepted, nothing happens; "no-tools": a ToolsUnavailable fault).
func (s *stats) wrap(next http.Handler, intercept map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2v-stats" && r.Method == http.MethodGet:
			s.mu.Lock()
			body, _ := json.Marshal(map[string]interface{}{"maxConcurrentVms": s.max, "maxConcurrentVmsPerHost": s.maxByHost, "downloads": s.downloads})
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		case r.URL.Path == "/v2v-stats/reset" && r.Method == http.MethodPost:
			s.mu.Lock()
			s.max, s.maxByHost, s.downloads = 0, map[string]int{}, 0
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		case strings.HasPrefix(r.URL.Path, "/folder/") && r.Method == http.MethodGet:
			rel := strings.TrimPrefix(r.URL.Path, "/folder/")
			if i := strings.Index(rel, "/"); i > 0 {
				key := r.URL.Query().Get("dsName") + "/" + rel[:i]
				s.enter(key)
				defer s.leave(key)
			}
		case len(intercept) > 0 && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sdk"):
			body, err := ioutil.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if m := shutdownRef.FindSubmatch(body); m != nil {
				switch intercept[string(m[1])] {
				case "ignore":
					w.Header().Set("Content-Type", "text/xml; charset=utf-8")
					fmt.Fprintf(w, soapEnvelope, `<ShutdownGuestResponse xmlns="urn:vim25"></ShutdownGuestResponse>`)
					return
				case "no-tools":
					w.Header().Set("Content-Type", "text/xml; charset=utf-8")
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprintf(w, soapEnvelope, `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>VMware Tools is not running in the guest</faultstring><detail><ToolsUnavailableFault xmlns="urn:vim25" xsi:type="ToolsUnavailable"></ToolsUnavailableFault></detail></soapenv:Fault>`)
					return
				}
			}
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}
