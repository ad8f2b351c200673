package condition

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// expectVirt finds what the host is, independently of DetectVirtualization:
// systemd-detect-virt when installed, else the container hints it reads.
func expectVirt(t *testing.T) string {
	if p, err := exec.LookPath("systemd-detect-virt"); err == nil {
		out, _ := exec.Command(p).Output() // exits 1 for "none"
		if v := strings.TrimSpace(string(out)); v != "" {
			return v
		}
	}
	if b, err := os.ReadFile("/proc/1/environ"); err == nil {
		for _, kv := range strings.Split(string(b), "\x00") {
			if v, ok := strings.CutPrefix(kv, "container="); ok && v != "" {
				return v
			}
		}
	}
	if _, err := os.Stat("/.dockerenv"); err == nil {
		return "docker"
	}
	t.Skip("cannot tell the virtualization independently")
	return ""
}

func firstLineField(t *testing.T, path, prefix string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	t.Skipf("no %s in %s", prefix, path)
	return ""
}

// TestSystemFacts checks conditions against the real host, with the expected
// values taken from the host by other means than the ones System uses.
func TestSystemFacts(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("uname", "-r").Output()
	if err != nil {
		t.Fatal(err)
	}
	release := strings.TrimSpace(string(out))
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	memKB := firstLineField(t, "/proc/meminfo", "MemTotal:")
	memKB = strings.TrimSuffix(memKB, " kB")
	virt := expectVirt(t)

	checks := []check{
		{"ConditionHost", host, true},
		{"ConditionHost", strings.ToUpper(host), true},
		{"ConditionHost", host + "-not", false},
		{"ConditionKernelVersion", "=" + release, true},
		{"ConditionKernelVersion", "<" + release, false},
		{"ConditionMemory", ">1M", true},
		{"ConditionMemory", "=" + memKB + "K", true},
		{"ConditionMemory", ">" + memKB + "K", false},
		{"ConditionCPUs", ">=1", true},
		{"ConditionCPUs", "=" + strconv.Itoa(runtime.NumCPU()), true},
		{"ConditionCPUs", ">" + strconv.Itoa(runtime.NumCPU()), false},
		{"ConditionVirtualization", virt, true},
		{"ConditionVirtualization", map[bool]string{true: "no", false: "yes"}[virt != "none"], false},
		{"ConditionVirtualization", "container", IsContainer(virt)},
		{"ConditionVirtualization", "vm", IsVM(virt)},
		{"ConditionArchitecture", "native", true},
		{"ConditionUser", strconv.Itoa(os.Getuid()), true},
		{"ConditionGroup", strconv.Itoa(os.Getgid()), true},
		{"ConditionEnvironment", "PATH=" + os.Getenv("PATH"), true},
		{"ConditionPathIsMountPoint", "/proc", true},
		{"ConditionPathIsMountPoint", "/proc/self", false},
	}
	if words := strings.Fields(string(cmdline)); len(words) > 0 && !strings.ContainsAny(words[0], `"'\`) {
		checks = append(checks, check{"ConditionKernelCommandLine", words[0], true})
	}
	if id := firstLineField(t, "/etc/os-release", "ID="); id != "" {
		checks = append(checks, check{"ConditionOSRelease", "ID=" + id, true}, check{"ConditionOSRelease", "ID=" + id + "x", false})
	}
	if b, err := os.ReadFile("/etc/machine-id"); err == nil && len(strings.TrimSpace(string(b))) == 32 {
		checks = append(checks, check{"ConditionHost", strings.TrimSpace(string(b)), true})
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"CAP_CHOWN", unix.CAP_CHOWN}, {"CAP_SYS_ADMIN", unix.CAP_SYS_ADMIN}, {"CAP_SYS_RESOURCE", unix.CAP_SYS_RESOURCE}} {
		r, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c.n), 0, 0, 0)
		if err == nil {
			checks = append(checks, check{"ConditionCapability", c.name, r == 1})
		}
	}
	if ents, err := os.ReadDir("/sys/class/power_supply"); err != nil || len(ents) == 0 {
		checks = append(checks, check{"ConditionACPower", "yes", true})
	}

	f := NewSystem()
	for _, c := range checks {
		var l List
		if err := l.Set(c.key, c.value); err != nil {
			t.Fatalf("%s=%s: %v", c.key, c.value, err)
		}
		o := l.Evaluate(f)
		if o.OK != c.want {
			t.Errorf("%s=%s: %v, want %v (%v)", c.key, c.value, o.OK, c.want, o.Results[0].Err)
		}
	}
}

// TestReadOnlyMount checks PathIsReadWrite= and PathIsMountPoint= on a
// read-only tmpfs mounted for the test.
func TestReadOnlyMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, "size=64k"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	for _, c := range []check{
		{"ConditionPathIsReadWrite", dir, false},
		{"ConditionPathIsReadWrite", "/proc", true},
		{"ConditionPathIsMountPoint", dir, true},
		{"ConditionPathIsMountPoint", dir + "/", true},
	} {
		var l List
		if err := l.Set(c.key, c.value); err != nil {
			t.Fatal(err)
		}
		if got := l.Evaluate(NewSystem()).OK; got != c.want {
			t.Errorf("%s=%s: %v, want %v", c.key, c.value, got, c.want)
		}
	}
}
