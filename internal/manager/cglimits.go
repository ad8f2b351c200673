package manager

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/capsuled/capsuled/internal/cgroup"
)

// v1Member is a cgroup v1 hierarchy's cgroup an invocation's processes
// join (on hybrid hosts, for limits the unified hierarchy cannot set).
type v1Member struct {
	v  *cgroup.V1
	cg string
}

// cgroupLimit is one resource directive and where each cgroup version
// takes it.
type cgroupLimit struct {
	directive  string
	value      uint64
	controller string
	v2File     string
	v1         *cgroup.V1
	v1File     string
	v1Max      string // how v1 spells "no limit"
}

// applyLimits sets MemoryMax= and TasksMax= on the unit's cgroup: through
// the unified hierarchy where its controller is available, else (system
// manager only) through a cgroup of the controller's v1 hierarchy that
// the unit's processes join before they run. A limit neither can enforce
// is reported, not dropped silently.
func (m *Manager) applyLimits(u *Unit, rs *runState) error {
	svc := u.svc
	limits := []cgroupLimit{
		{"MemoryMax", svc.MemoryMax, "memory", "memory.max", m.cfg.MemoryV1, "memory.limit_in_bytes", "-1"},
		{"TasksMax", svc.TasksMax, "pids", "pids.max", m.cfg.PidsV1, "pids.max", "max"},
	}
	var v2 []string
	read := false
	for _, l := range limits {
		if l.value == 0 {
			continue
		}
		if !read {
			v2, _ = m.cfg.Cgroups.Controllers(m.cfg.CgroupBase)
			read = true
		}
		value := strconv.FormatUint(l.value, 10)
		switch {
		case slices.Contains(v2, l.controller):
			if l.value == Unlimited {
				value = "max"
			}
			h := m.cfg.Cgroups
			if err := h.EnableController(m.cfg.CgroupBase, rs.cgroup, l.controller); err != nil {
				return fmt.Errorf("%s=: %w", l.directive, err)
			}
			if err := h.Set(rs.cgroup, l.v2File, value); err != nil {
				return fmt.Errorf("%s=: %w", l.directive, err)
			}
		case m.cfg.Mode == System && l.v1 != nil:
			if l.value == Unlimited {
				value = l.v1Max
			}
			cg := m.v1Cgroup(l.v1, u.name)
			if err := l.v1.Create(cg); err != nil {
				return fmt.Errorf("%s=: %w", l.directive, err)
			}
			rs.v1 = append(rs.v1, v1Member{v: l.v1, cg: cg})
			if err := l.v1.Set(cg, l.v1File, value); err != nil {
				return fmt.Errorf("%s=: %w", l.directive, err)
			}
		case m.cfg.Mode == User:
			m.logf(u, "%s: %s= is not enforced: no %s controller is delegated to this capsule (the capsule as a whole is bounded by capsule@.service).",
				u.name, l.directive, l.controller)
		default:
			m.logf(u, "%s: %s= is not enforced: this host has no cgroup %s controller.", u.name, l.directive, l.controller)
		}
	}
	return nil
}

// v1Base is the cgroup of this manager's units in hierarchy v: a child of
// the manager's own cgroup there, named like its unified one.
func (m *Manager) v1Base(v *cgroup.V1) string {
	return filepath.Join(v.Self, filepath.Base(m.cfg.CgroupBase))
}

func (m *Manager) v1Cgroup(v *cgroup.V1, unit string) string {
	return filepath.Join(m.v1Base(v), unit)
}

// joinV1 lists the cgroup.procs files a new process of rs writes itself
// to before it runs anything.
func joinV1(rs *runState) []string {
	var out []string
	for _, mem := range rs.v1 {
		out = append(out, mem.v.Procs(mem.cg))
	}
	return out
}

// releaseV1 removes the v1 cgroups of an invocation whose processes have
// all ended.
func (m *Manager) releaseV1(rs *runState) error {
	var errs []error
	for _, mem := range rs.v1 {
		if err := mem.v.Remove(mem.cg); err != nil {
			errs = append(errs, err)
		}
	}
	rs.v1 = nil
	return errors.Join(errs...)
}

// removeV1Bases removes this manager's v1 cgroups, also those a previous
// instance left when it died. Only called when none of its units runs.
func (m *Manager) removeV1Bases() {
	for _, v := range []*cgroup.V1{m.cfg.MemoryV1, m.cfg.PidsV1} {
		if v == nil {
			continue
		}
		if err := v.Remove(m.v1Base(v)); err != nil {
			m.logf(nil, "Warning: %v", err)
		}
	}
}
