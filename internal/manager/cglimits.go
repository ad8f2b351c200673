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

// controllerLimit is one resource directive and where each cgroup version
// takes it.
type controllerLimit struct {
	directive  string
	controller string
	value      func(resources) uint64
	v2File     string
	v1         *cgroup.V1
	v1File     string
	v1Max      string // how v1 spells "no limit"
}

// bounded is a unit or slice with its limits and cgroups.
type bounded struct {
	name string
	res  resources
	v2   string // cgroup in the unified hierarchy
	v1   string // cgroup in a v1 hierarchy, relative to its v1Base
}

// applyLimits sets MemoryMax= and TasksMax= of the unit and of the slices
// above it on their cgroups: through the unified hierarchy where its
// controller is available, else (system manager only) in the controller's
// v1 hierarchy, whose cgroups mirror the slice tree and which the unit's
// processes join before they run. A limit neither can enforce is
// reported, not dropped silently.
func (m *Manager) applyLimits(u *Unit, rs *runState) error {
	chain := []bounded{{name: u.name, res: u.svc.Resources, v2: rs.cgroup, v1: filepath.Join(slicePath(u.slice), u.name)}}
	for s := u.slice; s != ""; s = parentSlice(s) {
		su, err := m.load(s)
		if err != nil || su.kind.typeName() != "slice" {
			continue
		}
		chain = append(chain, bounded{name: s, res: su.sliceRes, v2: m.cgroupPath(su), v1: slicePath(s)})
	}
	limits := []controllerLimit{
		{"MemoryMax", "memory", func(r resources) uint64 { return r.MemoryMax }, "memory.max", m.cfg.MemoryV1, "memory.limit_in_bytes", "-1"},
		{"TasksMax", "pids", func(r resources) uint64 { return r.TasksMax }, "pids.max", m.cfg.PidsV1, "pids.max", "max"},
	}
	var v2 []string
	read := false
	for _, l := range limits {
		joinV1 := false
		for _, b := range chain {
			value := l.value(b.res)
			if value == 0 {
				continue
			}
			if !read {
				v2, _ = m.cfg.Cgroups.Controllers(m.cfg.CgroupBase)
				read = true
			}
			v := strconv.FormatUint(value, 10)
			switch {
			case slices.Contains(v2, l.controller):
				if value == Unlimited {
					v = "max"
				}
				h := m.cfg.Cgroups
				if err := h.EnableController(m.cfg.CgroupBase, b.v2, l.controller); err != nil {
					return fmt.Errorf("%s= of %s: %w", l.directive, b.name, err)
				}
				if err := h.Set(b.v2, l.v2File, v); err != nil {
					return fmt.Errorf("%s= of %s: %w", l.directive, b.name, err)
				}
			case m.cfg.Mode == System && l.v1 != nil:
				if value == Unlimited {
					v = l.v1Max
				}
				cg := filepath.Join(m.v1Base(l.v1), b.v1)
				if err := l.v1.Create(cg); err != nil {
					return fmt.Errorf("%s= of %s: %w", l.directive, b.name, err)
				}
				if err := l.v1.Set(cg, l.v1File, v); err != nil {
					return fmt.Errorf("%s= of %s: %w", l.directive, b.name, err)
				}
				joinV1 = true
			case m.cfg.Mode == User:
				m.logf(u, "%s: %s= of %s is not enforced: no %s controller is delegated to this capsule (the capsule as a whole is bounded by capsule@.service).",
					u.name, l.directive, b.name, l.controller)
			default:
				m.logf(u, "%s: %s= of %s is not enforced: this host has no cgroup %s controller.", u.name, l.directive, b.name, l.controller)
			}
		}
		if joinV1 {
			// The unit's own cgroup there, even if only a slice above it
			// has a limit: membership is what makes the slice's count.
			cg := filepath.Join(m.v1Base(l.v1), chain[0].v1)
			if err := l.v1.Create(cg); err != nil {
				return fmt.Errorf("%s=: %w", l.directive, err)
			}
			rs.v1 = append(rs.v1, v1Member{v: l.v1, cg: cg})
		}
	}
	return nil
}

// v1Base is the cgroup of this manager's units in hierarchy v.
func (m *Manager) v1Base(v *cgroup.V1) string {
	return v.ManagerBase(m.cfg.CgroupBase)
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
	for _, v := range []*cgroup.V1{m.cfg.MemoryV1, m.cfg.PidsV1, m.cfg.DevicesV1} {
		if v == nil {
			continue
		}
		if err := v.Remove(m.v1Base(v)); err != nil {
			m.logf(nil, "Warning: %v", err)
		}
	}
}

// releaseV1Slice removes the v1 cgroups of a stopped slice.
func (m *Manager) releaseV1Slice(u *Unit) {
	for _, v := range []*cgroup.V1{m.cfg.MemoryV1, m.cfg.PidsV1, m.cfg.DevicesV1} {
		if v == nil || m.cfg.Mode != System {
			continue
		}
		if err := v.Remove(filepath.Join(m.v1Base(v), slicePath(u.name))); err != nil {
			m.logf(u, "%s: %v", u.name, err)
		}
	}
}
