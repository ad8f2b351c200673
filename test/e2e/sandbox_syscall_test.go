package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// probe is a perl one-liner making the system call its arguments name
// (number first) and printing the result and errno, as the same probe
// printed under systemd 257 (notes: observed-8-sb.md).
const probe = `my @a = map { $_ + 0 } @ARGV; $! = 0; my $r = syscall($a[0], @a[1 .. $#a]); printf "r=%d errno=%d\n", $r, $! + 0`

// runProbe runs the probe as a transient unit of capsule (the system
// manager for "") with properties props.
func runProbe(t *testing.T, capsule string, props []string, args ...string) result {
	t.Helper()
	cmd := []string{"run", "-q", "-P"}
	if capsule != "" {
		cmd = append(cmd, "-C", capsule)
	}
	for _, p := range props {
		cmd = append(cmd, "-p", p)
	}
	cmd = append(cmd, "perl", "-e", probe)
	return ctlRun(nil, append(cmd, args...)...)
}

// TestSystemCallFilterDirectives: the system call settings work in a
// capsule as under systemd 257, with its results for the same calls.
func TestSystemCallFilterDirectives(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("system call numbers of x86_64")
	}
	name := startCapsule(t, "scf")
	tests := []struct {
		props []string
		args  string
		want  string // stdout; "" for a process killed by SIGSYS
	}{
		{[]string{"SystemCallFilter=~getppid:EIO"}, "110", "r=-1 errno=5\n"},
		{[]string{"SystemCallFilter=~@clock", "SystemCallErrorNumber=EACCES"}, "227 0 0", "r=-1 errno=13\n"},
		{[]string{"SystemCallFilter=~@clock:EPERM", "SystemCallErrorNumber=EACCES"}, "227 0 0", "r=-1 errno=1\n"},
		{[]string{"RestrictAddressFamilies=AF_UNIX"}, "41 2 1 0", "r=-1 errno=97\n"},
		{[]string{"RestrictAddressFamilies=~AF_INET6"}, "41 10 1 0", "r=-1 errno=97\n"},
		{[]string{"MemoryDenyWriteExecute=yes"}, "9 0 4096 7 34 -1 0", "r=-1 errno=13\n"},
		{[]string{"LockPersonality=yes"}, "135 8", "r=-1 errno=1\n"}, // PER_LINUX32
		{[]string{"SystemCallFilter=@system-service"}, "161 0", ""},  // chroot: killed
	}
	for _, tc := range tests {
		r := runProbe(t, name, tc.props, strings.Fields(tc.args)...)
		if tc.want == "" {
			if r.code == 0 || r.stdout != "" {
				t.Errorf("%v: probe %s was not killed: %s", tc.props, tc.args, r)
			}
			continue
		}
		if r.stdout != tc.want {
			t.Errorf("%v: probe %s: %s, want stdout %q", tc.props, tc.args, r, tc.want)
		}
	}
	// What the filters leave alone still works.
	if r := runProbe(t, name, []string{"SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_UNIX"}, "41", "1", "1", "0"); r.code != 0 || !strings.HasSuffix(r.stdout, " errno=0\n") {
		t.Errorf("socket(AF_UNIX) under @system-service and RestrictAddressFamilies=AF_UNIX: %s", r)
	}
}

// TestEscapeSyscallFilterViaCompatABI: a 64-bit process can still make
// i386 system calls (int $0x80), whose numbers differ. A deny-list must
// hold for them too, and SystemCallArchitectures=native must kill such a
// call.
func TestEscapeSyscallFilterViaCompatABI(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("int $0x80 is x86's")
	}
	name := startCapsule(t, "compat")
	// The capsule sees the host's /tmp no more than its own home.
	data, err := os.ReadFile(staticProgram(t, "compat_call"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(homeOf(name), "compat_call")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	bin = "/var/lib/capsules/" + name + "/compat_call"
	r := ctlRun(nil, "run", "-q", "-P", "-C", name, "-p", "SystemCallFilter=~getppid:EIO", bin)
	if !strings.HasPrefix(r.stdout, "getppid: -5\n") {
		t.Errorf("i386 getppid under SystemCallFilter=~getppid:EIO did not fail with EIO: %s", r)
	}
	r = ctlRun(nil, "run", "-q", "-P", "-C", name, "-p", "SystemCallArchitectures=native", bin)
	if r.code == 0 || strings.Contains(r.stdout, "getppid:") {
		t.Errorf("i386 system call under SystemCallArchitectures=native was not killed: %s", r)
	}
}

// TestEscapeAddressFamiliesViaIOUring: io_uring's IORING_OP_SOCKET makes
// sockets without socket(2), past RestrictAddressFamilies='s filter. A
// system service (which, without DynamicUser=, has io_uring) must not get
// an AF_INET socket so.
func TestEscapeAddressFamiliesViaIOUring(t *testing.T) {
	bin := staticProgram(t, "uring_socket")
	r := ctlRun(nil, "run", "-q", "-P", "-p", "RestrictAddressFamilies=AF_UNIX", bin, "2")
	if r.code != 0 || r.stdout == "" {
		t.Fatalf("uring_socket did not run: %s", r)
	}
	var fd int
	if i := strings.LastIndex(r.stdout, "socket: "); i >= 0 && fmtScan(r.stdout[i:], "socket: %d", &fd) && fd >= 0 {
		t.Errorf("AF_INET socket made through io_uring under RestrictAddressFamilies=AF_UNIX:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "setup: errno 38\n") {
		t.Errorf("io_uring_setup did not fail with ENOSYS under RestrictAddressFamilies=:\n%s", r.stdout)
	}
}

// TestCapabilitySets: CapabilityBoundingSet= and AmbientCapabilities= in
// the system manager; in a capsule there is nothing to drop or raise, and
// the unit fails with 218/CAPABILITIES, as under systemd 257.
func TestCapabilitySets(t *testing.T) {
	caps := func(r result) map[string]string {
		m := map[string]string{}
		for _, l := range strings.Split(r.stdout, "\n") {
			if k, v, ok := strings.Cut(l, ":\t"); ok {
				m[k] = v
			}
		}
		return m
	}
	r := ctlRun(nil, "run", "-q", "-P", "-p", "CapabilityBoundingSet=CAP_NET_RAW cap_chown", "grep", "^Cap", "/proc/self/status")
	if got := caps(r)["CapBnd"]; got != "0000000000002001" {
		t.Errorf("CapabilityBoundingSet=CAP_NET_RAW cap_chown: CapBnd %q: %s", got, r)
	}
	r = ctlRun(nil, "run", "-q", "-P", "-p", "User=nobody", "-p", "AmbientCapabilities=CAP_NET_RAW", "grep", "^Cap", "/proc/self/status")
	if m := caps(r); m["CapAmb"] != "0000000000002000" || m["CapEff"] != "0000000000002000" || m["CapPrm"] != "0000000000002000" {
		t.Errorf("User=nobody AmbientCapabilities=CAP_NET_RAW: %v: %s", m, r)
	}
	name := startCapsule(t, "caps")
	for _, p := range []string{"CapabilityBoundingSet=CAP_NET_RAW", "AmbientCapabilities=CAP_NET_RAW"} {
		if r := ctlRun(nil, "run", "-q", "-P", "-C", name, "-p", p, "true"); r.code != 218 {
			t.Errorf("%s in a capsule: want exit 218 (CAPABILITIES), got %s", p, r)
		}
	}
}

func fmtScan(s, format string, v ...any) bool {
	_, err := fmt.Sscanf(s, format, v...)
	return err == nil
}

// TestProtectSettingsCalls: what ProtectKernelModules=, ProtectKernelLogs=,
// ProtectClock= and RestrictRealtime= refuse a system service running as
// root, which could do all of it otherwise (EPERM, as systemd 257).
func TestProtectSettingsCalls(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("system call numbers of x86_64")
	}
	tests := []struct {
		prop, args, without string
	}{
		{"ProtectKernelModules=yes", "313 -1 0 0", ""},           // finit_module: EBADF or ENOSYS unfiltered
		{"ProtectKernelLogs=yes", "103 10 0 0", ""},              // syslog(SIZE_BUFFER)
		{"ProtectClock=yes", "227 0 0", "r=-1 errno=14\n"},       // clock_settime(NULL): EFAULT unfiltered
		{"RestrictRealtime=yes", "144 0 1 0", "r=-1 errno=22\n"}, // sched_setscheduler FIFO, no param: EINVAL unfiltered
	}
	for _, tc := range tests {
		if r := runProbe(t, "", []string{tc.prop}, strings.Fields(tc.args)...); r.stdout != "r=-1 errno=1\n" {
			t.Errorf("%s: probe %s: %s, want r=-1 errno=1", tc.prop, tc.args, r)
		}
		if tc.without == "" {
			continue
		}
		if r := runProbe(t, "", nil, strings.Fields(tc.args)...); r.stdout != tc.without {
			t.Errorf("without %s: probe %s: %s, want %q", tc.prop, tc.args, r, tc.without)
		}
	}
}
