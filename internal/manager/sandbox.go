package manager

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/capsuled/capsuled/internal/executor"
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
	return []string{fmt.Sprintf("%s: %s need the system manager; the unit runs in its capsule's namespaces and sandbox (read-only system, the capsule's own /tmp), system call filters applied.",
		u.name, strings.Join(names, ", "))}
}
