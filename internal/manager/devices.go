package manager

import (
	"fmt"
	"path/filepath"

	"github.com/capsuled/capsuled/internal/cgroup"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// standardDevices are the pseudo devices a closed device policy (and auto
// with DeviceAllow=) keeps, as systemd's does: the null, zero, full,
// random and tty nodes, and ptys.
func standardDevices() []unitconf.DeviceRule {
	var out []unitconf.DeviceRule
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty", "ptmx"} {
		out = append(out, unitconf.DeviceRule{Spec: "/dev/" + n, Access: "rwm"})
	}
	return append(out, unitconf.DeviceRule{Spec: "char-pts", Access: "rw"})
}

// applyDevices restricts the device nodes a service may open or create
// (DevicePolicy=, DeviceAllow=) through a cgroup of the v1 devices
// hierarchy its processes join before they run anything. Only the system
// manager can: a capsule's manager is warned about at load.
func (m *Manager) applyDevices(u *Unit, rs *runState) error {
	d := u.svc.Devices
	if !d.Restricted() || m.cfg.Mode != System {
		return nil
	}
	v := m.cfg.DevicesV1
	if v == nil {
		m.logf(u, "%s: DeviceAllow= and DevicePolicy= are not enforced: this host has no cgroup v1 devices hierarchy.", u.name)
		return nil
	}
	rules := d.Allow
	if d.Policy != "strict" {
		rules = append(standardDevices(), rules...)
	}
	cg := filepath.Join(m.v1Base(v), slicePath(u.slice), u.name)
	if err := v.Create(cg); err != nil {
		return fmt.Errorf("DevicePolicy= of %s: %w", u.name, err)
	}
	rs.v1 = append(rs.v1, v1Member{v: v, cg: cg})
	if err := v.Set(cg, "devices.deny", "a"); err != nil {
		return fmt.Errorf("DevicePolicy= of %s: %w", u.name, err)
	}
	for _, r := range rules {
		lines, err := cgroup.DeviceLines(r.Spec, r.Access)
		if err != nil {
			m.logf(u, "%s: DeviceAllow=%s %s: %v, ignoring.", u.name, r.Spec, r.Access, err)
			continue
		}
		for _, l := range lines {
			if err := v.Set(cg, "devices.allow", l); err != nil {
				return fmt.Errorf("DeviceAllow= of %s: %w", u.name, err)
			}
		}
	}
	return nil
}
