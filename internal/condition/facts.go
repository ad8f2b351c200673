package condition

// Facts are what the checks learn about the host and the manager evaluating
// them. System reads the real ones; tests use a Fake. Errors make the check
// that needed the fact fail with State Error, as in systemd.
type Facts interface {
	Hostname() (string, error)
	// MachineID, BootID and ProductUUID are 32 lower-case hex digits, or
	// an error when unknown.
	MachineID() (string, error)
	BootID() (string, error)
	ProductUUID() (string, error)
	// KernelCommandLine is /proc/cmdline split into words (quotes removed).
	KernelCommandLine() ([]string, error)
	// KernelRelease and Machine are uname's release and machine fields.
	KernelRelease() (string, error)
	Machine() (string, error)
	// Virtualization is what systemd-detect-virt would print: "none", a VM
	// ("kvm", "vm-other", …) or a container ("docker", "container-other", …).
	Virtualization() (string, error)
	// InUserNamespace reports a user namespace other than the initial one.
	InUserNamespace() (bool, error)
	OnACPower() (bool, error)
	// PhysicalMemory is the RAM in bytes.
	PhysicalMemory() (uint64, error)
	// CPUs counts the CPUs in the manager's affinity mask.
	CPUs() (int, error)
	// BoundingSet is the manager's capability bounding set, bit n for
	// capability n.
	BoundingSet() (uint64, error)
	// Security reports whether a security technology named as in
	// ConditionSecurity= (selinux, apparmor, smack, ima, audit, tomoyo,
	// uefi-secureboot, tpm2, cvm, measured-uki) is in use.
	Security(name string) (bool, error)
	// Credentials are the manager's IDs.
	Credentials() Credentials
	// LookupUser and LookupGroup resolve names through NSS.
	LookupUser(name string) (uid uint32, ok bool)
	LookupGroup(name string) (gid uint32, ok bool)
	// Environment is the manager's environment as "NAME=value" strings.
	Environment() []string
	// OSRelease is the os-release file parsed (an empty map when absent).
	OSRelease() (map[string]string, error)
	FirstBoot() bool
	InInitrd() bool
	// CPUFlags are the CPU's feature flags as /proc/cpuinfo names them.
	CPUFlags() ([]string, error)
	// CgroupUnified reports cgroup v2 only (no v1 hierarchies), and
	// CgroupControllers the controllers available to the manager.
	CgroupUnified() (bool, error)
	CgroupControllers() ([]string, error)
	// Firmware: EFI boot, a device tree, the device tree's compatible
	// strings, and one SMBIOS field from /sys/class/dmi/id (os.ErrNotExist
	// when absent).
	EFIBoot() bool
	DeviceTree() bool
	DeviceTreeCompatible() ([]string, error)
	SMBIOSField(name string) (string, error)
	// Pressure is the avg10, avg60 and avg300 percentages of the "some"
	// (cpu) or "full" line of /proc/pressure/<resource>; ok is false when
	// the kernel has no PSI.
	Pressure(resource string) (avg [3]float64, ok bool, err error)
}

// Credentials are a process's user and group IDs.
type Credentials struct {
	UID, EUID, GID, EGID uint32
	Groups               []uint32
	// UserName is the name of the real UID, "" when it has none.
	UserName string
}
