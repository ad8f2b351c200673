package condition

import (
	"errors"
	"io/fs"
)

// Fake is a Facts whose answers are its fields, for tests; a zero Fake is a
// host with nothing: no hostname, no memory, no CPUs, no capabilities.
type Fake struct {
	NodeName, MachineIDHex, BootIDHex, ProductUUIDHex string
	Cmdline                                           []string
	Release, Arch                                     string
	Virt                                              string // "" means "none"
	UserNS                                            bool
	AC                                                bool
	Mem                                               uint64
	NCPUs                                             int
	Bounding                                          uint64
	SecurityOn                                        map[string]bool
	Creds                                             Credentials
	Users, Groups                                     map[string]uint32
	Env                                               []string
	OS                                                map[string]string
	First, Initrd                                     bool
	Flags                                             []string
	Unified                                           bool
	Controllers                                       []string
	EFI, DT                                           bool
	DTCompatible                                      []string
	SMBIOS                                            map[string]string
	PSI                                               map[string][3]float64 // nil: no PSI
	// Err, when set, is returned by every fact that can fail.
	Err error
}

var _ Facts = (*Fake)(nil)

func (f *Fake) id(s string) (string, error) {
	if f.Err != nil {
		return "", f.Err
	}
	if s == "" {
		return "", errors.New("no ID")
	}
	return s, nil
}

// Hostname implements Facts.
func (f *Fake) Hostname() (string, error) { return f.NodeName, f.Err }

// MachineID implements Facts.
func (f *Fake) MachineID() (string, error) { return f.id(f.MachineIDHex) }

// BootID implements Facts.
func (f *Fake) BootID() (string, error) { return f.id(f.BootIDHex) }

// ProductUUID implements Facts.
func (f *Fake) ProductUUID() (string, error) { return f.id(f.ProductUUIDHex) }

// KernelCommandLine implements Facts.
func (f *Fake) KernelCommandLine() ([]string, error) { return f.Cmdline, f.Err }

// KernelRelease implements Facts.
func (f *Fake) KernelRelease() (string, error) { return f.Release, f.Err }

// Machine implements Facts.
func (f *Fake) Machine() (string, error) { return f.Arch, f.Err }

// Virtualization implements Facts.
func (f *Fake) Virtualization() (string, error) {
	if f.Virt == "" {
		return "none", f.Err
	}
	return f.Virt, f.Err
}

// InUserNamespace implements Facts.
func (f *Fake) InUserNamespace() (bool, error) { return f.UserNS, f.Err }

// OnACPower implements Facts.
func (f *Fake) OnACPower() (bool, error) { return f.AC, f.Err }

// PhysicalMemory implements Facts.
func (f *Fake) PhysicalMemory() (uint64, error) { return f.Mem, f.Err }

// CPUs implements Facts.
func (f *Fake) CPUs() (int, error) { return f.NCPUs, f.Err }

// BoundingSet implements Facts.
func (f *Fake) BoundingSet() (uint64, error) { return f.Bounding, f.Err }

// Security implements Facts.
func (f *Fake) Security(name string) (bool, error) { return f.SecurityOn[name], f.Err }

// Credentials implements Facts.
func (f *Fake) Credentials() Credentials { return f.Creds }

// LookupUser implements Facts.
func (f *Fake) LookupUser(name string) (uint32, bool) { id, ok := f.Users[name]; return id, ok }

// LookupGroup implements Facts.
func (f *Fake) LookupGroup(name string) (uint32, bool) { id, ok := f.Groups[name]; return id, ok }

// Environment implements Facts.
func (f *Fake) Environment() []string { return f.Env }

// OSRelease implements Facts.
func (f *Fake) OSRelease() (map[string]string, error) { return f.OS, f.Err }

// FirstBoot implements Facts.
func (f *Fake) FirstBoot() bool { return f.First }

// InInitrd implements Facts.
func (f *Fake) InInitrd() bool { return f.Initrd }

// CPUFlags implements Facts.
func (f *Fake) CPUFlags() ([]string, error) { return f.Flags, f.Err }

// CgroupUnified implements Facts.
func (f *Fake) CgroupUnified() (bool, error) { return f.Unified, f.Err }

// CgroupControllers implements Facts.
func (f *Fake) CgroupControllers() ([]string, error) { return f.Controllers, f.Err }

// EFIBoot implements Facts.
func (f *Fake) EFIBoot() bool { return f.EFI }

// DeviceTree implements Facts.
func (f *Fake) DeviceTree() bool { return f.DT }

// DeviceTreeCompatible implements Facts.
func (f *Fake) DeviceTreeCompatible() ([]string, error) {
	if f.DTCompatible == nil {
		return nil, fs.ErrNotExist
	}
	return f.DTCompatible, nil
}

// SMBIOSField implements Facts.
func (f *Fake) SMBIOSField(name string) (string, error) {
	v, ok := f.SMBIOS[name]
	if !ok {
		return "", fs.ErrNotExist
	}
	return v + "\n", nil
}

// Pressure implements Facts.
func (f *Fake) Pressure(resource string) ([3]float64, bool, error) {
	if f.PSI == nil {
		return [3]float64{}, false, f.Err
	}
	return f.PSI[resource], true, f.Err
}
