package condition

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// containerIDs are the container managers systemd names; any other value of
// $container is "container-other".
var containerIDs = []string{
	"lxc", "lxc-libvirt", "systemd-nspawn", "docker", "podman", "rkt", "wsl", "proot", "pouch",
}

// DetectVirtualization tells what systemd-detect-virt would print for the
// calling process: a container first, else a virtual machine, else "none".
func DetectVirtualization() (string, error) {
	if c := detectContainer(); c != "none" {
		return c, nil
	}
	return detectVM(), nil
}

func exists(p string) bool { return unix.Access(p, unix.F_OK) == nil }

func containerFiles() string {
	switch {
	case exists("/run/.containerenv"):
		return "podman"
	case exists("/.dockerenv"):
		return "docker"
	}
	return "none"
}

func containerName(e string) string {
	if e == "oci" {
		if v := containerFiles(); v != "none" {
			return v
		}
		return "container-other"
	}
	if slices.Contains(containerIDs, e) {
		return e
	}
	return "container-other"
}

// environOf reads one variable of a process's initial environment.
func environOf(pid int, name string) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return "", false
	}
	for _, kv := range strings.Split(string(b), "\x00") {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func detectContainer() string {
	if exists("/proc/vz") && !exists("/proc/bc") {
		return "openvz"
	}
	if o, err := readLine("/proc/sys/kernel/osrelease"); err == nil &&
		(strings.Contains(o, "Microsoft") || strings.Contains(o, "WSL")) {
		return "wsl"
	}
	if tracer := statusField("TracerPid"); tracer != "" && tracer != "0" {
		if comm, err := readLine("/proc/" + tracer + "/comm"); err == nil && strings.HasPrefix(comm, "proot") {
			return "proot"
		}
	}
	if m, err := readLine("/run/host/container-manager"); err == nil && m != "" {
		return containerName(m)
	}
	if os.Getpid() == 1 {
		if e, ok := os.LookupEnv("container"); ok {
			if e == "" {
				return "none"
			}
			return containerName(e)
		}
	} else {
		if m, err := readLine("/run/systemd/container"); err == nil && m != "" {
			return containerName(m)
		}
		if e, ok := environOf(1, "container"); ok && e != "" {
			return containerName(e)
		}
	}
	if v := containerFiles(); v != "none" {
		return v
	}
	if inCgroupNamespace() || !nsIsInit("pid", 0xEFFFFFFC) {
		return "container-other"
	}
	return "none"
}

func statusField(name string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// nsIsInit reports whether the calling process is in the initial namespace
// of a kind, whose inode number the kernel fixes.
func nsIsInit(kind string, ino uint64) bool {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/"+kind, &st); err != nil {
		return true // cannot tell: assume the initial one
	}
	return st.Ino == ino
}

// inCgroupNamespace follows systemd: outside the initial cgroup namespace,
// guess from what the cgroup file system shows at its root.
func inCgroupNamespace() bool {
	if nsIsInit("cgroup", 0xEFFFFFFB) {
		return false
	}
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup/", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		if !exists("/sys/fs/cgroup/cgroup.events") {
			return false
		}
		return exists("/sys/fs/cgroup/cgroup.type") || !exists("/sys/kernel/cgroup/features")
	}
	if !exists("/sys/fs/cgroup/systemd") {
		return false
	}
	return !exists("/sys/fs/cgroup/systemd/release_agent")
}

// dmiVendors are matched at the start of the DMI strings, in this order.
var dmiVendors = []struct{ prefix, id string }{
	{"KVM", "kvm"}, {"OpenStack", "kvm"}, {"KubeVirt", "kvm"}, {"Amazon EC2", "amazon"},
	{"QEMU", "qemu"}, {"VMware", "vmware"}, {"VMW", "vmware"}, {"innotek GmbH", "oracle"},
	{"VirtualBox", "oracle"}, {"Oracle Corporation", "oracle"}, {"Xen", "xen"},
	{"Bochs", "bochs"}, {"Parallels", "parallels"}, {"BHYVE", "bhyve"},
	{"Hyper-V", "microsoft"}, {"Apple Virtualization", "apple"},
	{"Google Compute Engine", "google"},
}

func detectDMI() string {
	for _, f := range []string{"product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version"} {
		s, err := readLine("/sys/class/dmi/id/" + f)
		if err != nil {
			continue
		}
		for _, v := range dmiVendors {
			if strings.HasPrefix(s, v.prefix) {
				return v.id
			}
		}
	}
	return "none"
}

// detectVM follows systemd's order: DMI vendors that hide behind KVM, UML,
// Xen guests, then the CPU's hypervisor flag (/proc/cpuinfo cannot name the
// vendor, which DMI then does), other DMI vendors, /sys/hypervisor, the
// device tree and z/VM.
func detectVM() string {
	dmi := detectDMI()
	switch dmi {
	case "oracle", "xen", "amazon", "parallels", "google":
		return dmi
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil && strings.Contains(string(b), "\nvendor_id\t: User Mode Linux") {
		return "uml"
	}
	if exists("/proc/xen") {
		if t, err := readLine("/sys/hypervisor/type"); err == nil && t == "xen" && !xenDom0() {
			return "xen"
		}
	}
	hypervisor := false
	if flags, err := cpuFlags(); err == nil {
		for _, f := range flags {
			if f == "hypervisor" {
				hypervisor = true
			}
		}
	}
	if dmi != "none" {
		return dmi
	}
	if t, err := readLine("/sys/hypervisor/type"); err == nil && t != "" {
		if t == "xen" {
			return "xen"
		}
		return "vm-other"
	}
	if dt, err := readLine("/proc/device-tree/hypervisor/compatible"); err == nil {
		switch {
		case strings.Contains(dt, "linux,kvm"):
			return "kvm"
		case strings.Contains(dt, "xen"):
			return "xen"
		case strings.Contains(dt, "vmware"):
			return "vmware"
		}
		return "vm-other"
	}
	if b, err := os.ReadFile("/proc/sysinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VM00 Control Program:"); ok {
				if strings.HasPrefix(strings.TrimSpace(v), "z/VM") {
					return "zvm"
				}
				return "kvm"
			}
		}
	}
	if hypervisor {
		return "vm-other"
	}
	return "none"
}

func xenDom0() bool {
	caps, err := readLine("/proc/xen/capabilities")
	return err == nil && strings.Contains(caps, "control_d")
}

// inUserNamespace: outside the initial user namespace, a full identity map
// with setgroups allowed still counts as the host's.
func inUserNamespace() (bool, error) {
	if nsIsInit("user", 0xEFFFFFFD) {
		return false, nil
	}
	for _, m := range []string{"/proc/self/uid_map", "/proc/self/gid_map"} {
		s, err := readLine(m)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, err
		}
		if s == "" || strings.Join(strings.Fields(s), " ") != "0 0 4294967295" {
			return true, nil
		}
	}
	sg, err := readLine("/proc/self/setgroups")
	if err != nil {
		return false, nil
	}
	return sg != "allow", nil
}
