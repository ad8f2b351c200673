package condition

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// System reads the facts of the machine and of the calling process (its
// credentials, environment, affinity and bounding set), in the caller's view
// of /proc, /sys and /run. Facts that cannot change while a manager runs
// (virtualization, os-release, first boot) are read once.
type System struct {
	// Env is the manager's environment; nil means os.Environ().
	Env []string

	virtOnce sync.Once
	virt     string
	virtErr  error
}

var _ Facts = (*System)(nil)

// NewSystem returns facts read from the running system.
func NewSystem() *System { return &System{} }

func readLine(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s), nil
}

// Hostname implements Facts.
func (h *System) Hostname() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return unix.ByteSliceToString(u.Nodename[:]), nil
}

func normID(s string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	s = strings.ToLower(strings.ReplaceAll(s, "-", ""))
	if len(s) != 32 {
		return "", fmt.Errorf("malformed ID %q", s)
	}
	return s, nil
}

// MachineID implements Facts.
func (h *System) MachineID() (string, error) { return normID(readLine("/etc/machine-id")) }

// BootID implements Facts.
func (h *System) BootID() (string, error) {
	return normID(readLine("/proc/sys/kernel/random/boot_id"))
}

// ProductUUID implements Facts.
func (h *System) ProductUUID() (string, error) {
	return normID(readLine("/sys/class/dmi/id/product_uuid"))
}

// KernelCommandLine implements Facts.
func (h *System) KernelCommandLine() ([]string, error) {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, err
	}
	return splitWords(string(b), true)
}

func (h *System) uname() (unix.Utsname, error) {
	var u unix.Utsname
	err := unix.Uname(&u)
	return u, err
}

// KernelRelease implements Facts.
func (h *System) KernelRelease() (string, error) {
	u, err := h.uname()
	return unix.ByteSliceToString(u.Release[:]), err
}

// Machine implements Facts.
func (h *System) Machine() (string, error) {
	u, err := h.uname()
	return unix.ByteSliceToString(u.Machine[:]), err
}

// Virtualization implements Facts.
func (h *System) Virtualization() (string, error) {
	h.virtOnce.Do(func() { h.virt, h.virtErr = DetectVirtualization() })
	return h.virt, h.virtErr
}

// InUserNamespace implements Facts.
func (h *System) InUserNamespace() (bool, error) { return inUserNamespace() }

// OnACPower implements Facts: on AC unless a battery discharges and no
// other power supply is online.
func (h *System) OnACPower() (bool, error) {
	const dir = "/sys/class/power_supply/"
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	online, discharging := false, false
	for _, e := range ents {
		typ, err := readLine(dir + e.Name() + "/type")
		if err != nil {
			continue
		}
		if typ == "Battery" {
			st, _ := readLine(dir + e.Name() + "/status")
			scope, _ := readLine(dir + e.Name() + "/scope")
			if st == "Discharging" && scope != "Device" {
				discharging = true
			}
			continue
		}
		v, err := readLine(dir + e.Name() + "/online")
		if err != nil {
			continue
		}
		if n, err := strconv.ParseUint(v, 10, 32); err == nil && n > 0 {
			online = true
		}
	}
	return online || !discharging, nil
}

// PhysicalMemory implements Facts.
func (h *System) PhysicalMemory() (uint64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("MemTotal %q: %w", v, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("no MemTotal in /proc/meminfo")
}

// CPUs implements Facts.
func (h *System) CPUs() (int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0, fmt.Errorf("sched_getaffinity: %w", err)
	}
	return set.Count(), nil
}

// BoundingSet implements Facts.
func (h *System) BoundingSet() (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return ^uint64(0), nil
}

// Security implements Facts.
func (h *System) Security(name string) (bool, error) { return securityInUse(name) }

// Credentials implements Facts.
func (h *System) Credentials() Credentials {
	c := Credentials{
		UID: uint32(os.Getuid()), EUID: uint32(os.Geteuid()),
		GID: uint32(os.Getgid()), EGID: uint32(os.Getegid()),
	}
	if gs, err := os.Getgroups(); err == nil {
		for _, g := range gs {
			c.Groups = append(c.Groups, uint32(g))
		}
	}
	if u, err := user.LookupId(strconv.Itoa(int(c.UID))); err == nil {
		c.UserName = u.Username
	}
	return c
}

// LookupUser implements Facts.
func (h *System) LookupUser(name string) (uint32, bool) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseUint(u.Uid, 10, 32)
	return uint32(id), err == nil
}

// LookupGroup implements Facts.
func (h *System) LookupGroup(name string) (uint32, bool) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseUint(g.Gid, 10, 32)
	return uint32(id), err == nil
}

// Environment implements Facts.
func (h *System) Environment() []string {
	if h.Env != nil {
		return h.Env
	}
	return os.Environ()
}

// OSRelease implements Facts: /etc/os-release, else /usr/lib/os-release.
func (h *System) OSRelease() (map[string]string, error) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return ParseOSRelease(b), nil
	}
	return map[string]string{}, nil
}

// ParseOSRelease parses os-release's KEY=value lines, unquoting values.
func ParseOSRelease(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok || !validEnvName(k) {
			continue
		}
		if w, err := splitWords(v, true); err == nil {
			v = strings.Join(w, " ")
		}
		m[k] = v
	}
	return m
}

// FirstBoot implements Facts: $SYSTEMD_FIRST_BOOT of the manager, else
// /run/systemd/first-boot.
func (h *System) FirstBoot() bool {
	if v := lookupEnv(os.Environ(), "SYSTEMD_FIRST_BOOT"); v != "" {
		if b, err := parseBool(v); err == nil {
			return b
		}
	}
	return unix.Access("/run/systemd/first-boot", unix.F_OK) == nil
}

// InInitrd implements Facts.
func (h *System) InInitrd() bool {
	return unix.Access("/etc/initrd-release", unix.F_OK) == nil
}

// CPUFlags implements Facts.
func (h *System) CPUFlags() ([]string, error) { return cpuFlags() }

func cpuFlags() ([]string, error) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && (strings.TrimSpace(k) == "flags" || strings.TrimSpace(k) == "Features") {
			return strings.Fields(v), nil
		}
	}
	return nil, nil
}

// CgroupUnified implements Facts.
func (h *System) CgroupUnified() (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup/", &st); err != nil {
		return false, fmt.Errorf("statfs /sys/fs/cgroup: %w", err)
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC, nil
}

// CgroupControllers implements Facts: the controllers of the unified
// hierarchy's root, or on hybrid and legacy hosts the v1 hierarchies
// mounted.
func (h *System) CgroupControllers() ([]string, error) {
	unified, err := h.CgroupUnified()
	if err != nil {
		return nil, err
	}
	if unified {
		b, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		if err != nil {
			return nil, err
		}
		return strings.Fields(string(b)), nil
	}
	var have []string
	for _, c := range knownControllers {
		if strings.HasPrefix(c, "bpf-") {
			continue
		}
		var st unix.Statfs_t
		if unix.Statfs("/sys/fs/cgroup/"+c, &st) == nil && st.Type == unix.CGROUP_SUPER_MAGIC {
			have = append(have, c)
		}
	}
	return have, nil
}

// EFIBoot implements Facts.
func (h *System) EFIBoot() bool { return unix.Access("/sys/firmware/efi", unix.F_OK) == nil }

// DeviceTree implements Facts.
func (h *System) DeviceTree() bool {
	return unix.Access("/sys/firmware/devicetree/", unix.F_OK) == nil
}

// DeviceTreeCompatible implements Facts.
func (h *System) DeviceTreeCompatible() ([]string, error) {
	b, err := os.ReadFile("/proc/device-tree/compatible")
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || b[len(b)-1] != 0 {
		return nil, errors.New("/proc/device-tree/compatible: unknown format")
	}
	return strings.Split(string(b[:len(b)-1]), "\x00"), nil
}

// SMBIOSField implements Facts.
func (h *System) SMBIOSField(name string) (string, error) {
	b, err := os.ReadFile("/sys/class/dmi/id/" + name)
	return string(b), err
}

// Pressure implements Facts.
func (h *System) Pressure(resource string) ([3]float64, bool, error) {
	var avg [3]float64
	b, err := os.ReadFile("/proc/pressure/" + resource)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.EOPNOTSUPP) {
		return avg, false, nil
	}
	if err != nil {
		return avg, false, err
	}
	want := "full"
	if resource == "cpu" {
		want = "some"
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != want {
			continue
		}
		for i, k := range []string{"avg10=", "avg60=", "avg300="} {
			v, ok := strings.CutPrefix(f[i+1], k)
			if !ok {
				return avg, false, fmt.Errorf("/proc/pressure/%s: unexpected %q", resource, f[i+1])
			}
			if avg[i], err = strconv.ParseFloat(v, 64); err != nil {
				return avg, false, fmt.Errorf("/proc/pressure/%s: %w", resource, err)
			}
		}
		return avg, true, nil
	}
	return avg, false, fmt.Errorf("/proc/pressure/%s: no %q line", resource, want)
}
