package manager

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// syscallPlan is the executor's form of u's system call settings, nil
// when it has none.
func (m *Manager) syscallPlan(u *Unit) *executor.SyscallPlan {
	s := &u.svc.Sandbox
	p := &executor.SyscallPlan{Action: s.SyscallErrorNumber, NativeOnly: s.NativeOnly(runtime.GOARCH),
		LockPersonality: s.LockPersonality, DenyWriteExecute: s.MemoryDenyWriteExecute,
		RestrictRealtime: s.RestrictRealtime, RestrictFamilies: s.RestrictFamilies,
		FamiliesAllow: s.FamiliesAllow, Families: s.AddressFamilies}
	if s.SyscallFilter != nil {
		p.Allow, p.Names = s.SyscallAllow, s.SyscallFilter
	}
	// What the Protect* settings refuse, as systemd 257 does, with EPERM.
	deny := map[string]int{}
	const eperm = 1
	if s.ProtectClock {
		deny["@clock"] = eperm
	}
	if s.ProtectKernelModules {
		deny["@module"] = eperm
	}
	if s.ProtectKernelLogs {
		deny["syslog"] = eperm
	}
	if s.ProtectKernelTunables {
		deny["_sysctl"] = eperm
	}
	if s.ProtectHostname {
		deny["sethostname"], deny["setdomainname"] = eperm, eperm
	}
	if s.PrivateDevices {
		deny["@raw-io"] = eperm
	}
	if len(deny) > 0 {
		p.Deny = deny
	}
	if p.Names == nil && p.Deny == nil && !p.NativeOnly && !p.LockPersonality && !p.DenyWriteExecute &&
		!p.RestrictRealtime && !p.RestrictFamilies {
		return nil
	}
	return p
}

// capsPlan is u's CapabilityBoundingSet= and AmbientCapabilities=, with
// what PrivateDevices= and the Protect* settings take away from the
// bounding set, nil when nothing is to change. In a capsule only what the
// unit sets itself is tried: its manager has no capabilities to drop, so
// the exec fails with 218/CAPABILITIES, as under systemd 257.
func (m *Manager) capsPlan(u *Unit) *executor.Capabilities {
	s := &u.svc.Sandbox
	bounding := s.CapabilityBoundingSet
	if m.cfg.Mode == System {
		bounding &^= impliedCapDrops(u)
	}
	c := &executor.Capabilities{Ambient: s.AmbientCapabilities}
	if bounding != executor.CapAll {
		c.Bounding = &bounding
	}
	if c.Bounding == nil && c.Ambient == 0 {
		return nil
	}
	return c
}

// impliedCapDrops are the capabilities systemd drops from the bounding
// set for the Protect* settings and PrivateDevices=.
func impliedCapDrops(u *Unit) uint64 {
	s := &u.svc.Sandbox
	var drop uint64
	capBit := func(name string) uint64 {
		n, _ := executor.ParseCapability(name)
		return 1 << n
	}
	if s.PrivateDevices {
		drop |= capBit("cap_mknod") | capBit("cap_sys_rawio")
	}
	if s.ProtectKernelModules {
		drop |= capBit("cap_sys_module")
	}
	if s.ProtectKernelLogs {
		drop |= capBit("cap_syslog")
	}
	if s.ProtectClock {
		drop |= capBit("cap_sys_time") | capBit("cap_wake_alarm")
	}
	return drop
}

// sandboxWarnings are u's settings a capsule's manager cannot act on: it
// has no privileges to make a mount, network or UTS namespace, and its
// capsule may not make a user namespace to gain them.
func (m *Manager) sandboxWarnings(u *Unit) []string {
	if m.cfg.Mode == System || u.svc == nil {
		return nil
	}
	names := u.svc.MountSettings()
	if len(names) == 0 {
		return nil
	}
	verb := "need"
	if len(names) == 1 {
		verb = "needs"
	}
	return []string{fmt.Sprintf("%s: %s %s the system manager; the unit runs in its capsule's namespaces and sandbox (read-only system, the capsule's own /tmp), system call filters applied.",
		u.name, strings.Join(names, ", "), verb)}
}

// pathMount turns a path list entry ("-" and "+" prefixes; without a
// root directory "+" changes nothing) into a mount of kind.
func pathMount(kind, entry string) executor.PathMount {
	p := strings.TrimLeft(entry, "-+")
	return executor.PathMount{Kind: kind, Target: p, Optional: strings.Contains(entry[:len(entry)-len(p)], "-")}
}

// privateDevices are the device nodes a PrivateDevices= /dev has, bound
// from the host's.
var privateDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// kernelTunables are what ProtectKernelTunables= makes read-only, and
// kernelSecrets what it hides, as systemd 257 does.
var (
	kernelTunables = []string{"/proc/acpi", "/proc/apm", "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
		"/proc/latency_stats", "/proc/mtrr", "/proc/scsi", "/proc/sys", "/proc/sysrq-trigger", "/proc/timer_list",
		"/proc/timer_stats", "/sys"}
	kernelSecrets = []string{"/proc/kallsyms", "/proc/kcore"}
)

// sandboxPaths adds u's path settings to the mount plan of a system
// service: PrivateDevices=, ProcSubset=, TemporaryFileSystem=, BindPaths=,
// BindReadOnlyPaths=, ReadWritePaths=, ReadOnlyPaths=,
// InaccessiblePaths= and the Protect* settings' mounts, parents before
// what lies below them.
func (m *Manager) sandboxPaths(u *Unit, p *executor.MountPlan) {
	s := &u.svc.Sandbox
	var ps []executor.PathMount
	if s.PrivateDevices {
		dev := executor.Tmpfs{Path: "/dev", Mode: 0o755, Size: 1 << 20, Dirs: []string{"pts", "shm"},
			Files: privateDevices,
			Links: [][2]string{{"ptmx", "pts/ptmx"}, {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
				{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}}}
		p.Tmpfs = append([]executor.Tmpfs{dev}, p.Tmpfs...)
		p.DevPts = "/dev/pts"
		for _, d := range privateDevices {
			ps = append(ps, executor.PathMount{Kind: "bind", Source: "/dev/" + d, Target: "/dev/" + d, Optional: true})
		}
		if !u.svc.PrivateTmp {
			ps = append(ps, executor.PathMount{Kind: "bind", Source: "/dev/shm", Target: "/dev/shm", Optional: true, Recursive: true})
		}
	}
	p.ProcSubsetPID = s.ProcSubset == "pid"
	for _, t := range s.TemporaryFileSystem {
		ps = append(ps, executor.PathMount{Kind: "tmpfs", Target: t.Path, Options: t.Options})
	}
	for _, list := range []struct {
		binds []unitconf.BindPath
		ro    bool
	}{{s.BindPaths, false}, {s.BindReadOnlyPaths, true}} {
		for _, b := range list.binds {
			ps = append(ps, executor.PathMount{Kind: "bind", Source: b.Source, Target: b.Target,
				Optional: b.Optional, ReadOnly: list.ro, Recursive: b.Recursive})
		}
	}
	for _, e := range s.ReadWritePaths {
		ps = append(ps, pathMount("readwrite", e))
	}
	for _, e := range s.ReadOnlyPaths {
		ps = append(ps, pathMount("readonly", e))
	}
	if s.ProtectKernelTunables {
		for _, t := range kernelTunables {
			ps = append(ps, executor.PathMount{Kind: "readonly", Target: t, Optional: true})
		}
	}
	if s.ProtectControlGroups {
		ps = append(ps, executor.PathMount{Kind: "readonly", Target: "/sys/fs/cgroup", Optional: true})
	}
	for _, e := range s.InaccessiblePaths {
		ps = append(ps, pathMount("inaccessible", e))
	}
	var hide []string
	if s.ProtectKernelTunables {
		hide = append(hide, kernelSecrets...)
	}
	if s.ProtectKernelModules {
		hide = append(hide, "/usr/lib/modules", "/lib/modules")
	}
	if s.ProtectKernelLogs {
		hide = append(hide, "/proc/kmsg", "/dev/kmsg")
	}
	for _, h := range hide {
		ps = append(ps, executor.PathMount{Kind: "inaccessible", Target: h, Optional: true})
	}
	// Parents first, so a mount below another one is not covered by it;
	// for the same depth, in the order above (binds, then read-write,
	// read-only, inaccessible).
	slices.SortStableFunc(ps, func(a, b executor.PathMount) int {
		return strings.Count(filepath.Clean(a.Target), "/") - strings.Count(filepath.Clean(b.Target), "/")
	})
	p.Paths = append(p.Paths, ps...)
}

// utsNamespace is CLONE_NEWUTS for ProtectHostname= in the system
// manager (a capsule's manager can make no namespace; its filter part
// applies all the same, as in systemd 257's user managers).
func (m *Manager) utsNamespace(u *Unit) uintptr {
	if m.cfg.Mode == System && u.svc.Sandbox.ProtectHostname {
		return syscall.CLONE_NEWUTS
	}
	return 0
}

// netNamespace returns PrivateNetwork='s network namespace of the
// invocation (nil without it), made with the first process: every
// process of the invocation joins the same one, with only "lo", up.
func (m *Manager) netNamespace(u *Unit, rs *runState) (*os.File, error) {
	if m.cfg.Mode != System || !u.svc.Sandbox.PrivateNetwork {
		return nil, nil
	}
	rs.net.mu.Lock()
	defer rs.net.mu.Unlock()
	if rs.net.f == nil {
		f, err := newNetNamespace()
		if err != nil {
			return nil, fmt.Errorf("set up private network: %w", err)
		}
		rs.net.f = f
	}
	return rs.net.f, nil
}

// newNetNamespace makes a network namespace on a thread of its own, brings
// its loopback up and returns a handle of it; the thread goes back to the
// manager's namespace, or, if it cannot, ends with its goroutine.
func newNetNamespace() (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("unshare: %w", err)}
			return
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if err == nil {
			if err = executor.LoopbackUp(); err != nil {
				f.Close()
				f = nil
			}
		}
		if serr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); serr == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{f, err}
	}()
	r := <-ch
	return r.f, r.err
}
