package manager

import (
	"slices"
	"sort"

	"github.com/capsuled/capsuled/internal/job"
)

// unitDeps are a unit's dependencies on other units, as its file, its
// .wants/.requires directories and the implicit and default dependencies
// of its type (systemd.service(5), socket(5), target(5), slice(5)) make
// them. Reverse directions are filled in by the graph.
type unitDeps map[job.Dependency][]string

func (d unitDeps) add(dep job.Dependency, names ...string) {
	for _, n := range names {
		if n != "" && !slices.Contains(d[dep], n) {
			d[dep] = append(d[dep], n)
		}
	}
}

// forwardDeps computes u's own dependencies. other looks up another loaded
// unit (for a target's After= on what it wants); callers hold m.mu.
func (m *Manager) forwardDeps(u *Unit, other func(string) *Unit) unitDeps {
	d := unitDeps{}
	if u.conf != nil {
		c := &u.conf.Unit
		d.add(job.Requires, c.Requires...)
		d.add(job.Requisite, c.Requisite...)
		d.add(job.Wants, c.Wants...)
		d.add(job.BindsTo, c.BindsTo...)
		d.add(job.PartOf, c.PartOf...)
		d.add(job.Upholds, c.Upholds...)
		d.add(job.Conflicts, c.Conflicts...)
		d.add(job.Before, c.Before...)
		d.add(job.After, c.After...)
		d.add(job.OnFailure, c.OnFailure...)
		d.add(job.OnSuccess, c.OnSuccess...)
		d.add(job.PropagatesStopTo, c.PropagatesStopTo...)
		d.add(job.StopPropagatedFrom, c.StopPropagatedFrom...)
	}
	if u.file != nil {
		d.add(job.Wants, u.file.Wants...)
		d.add(job.Requires, u.file.Requires...)
	}
	if u.loadState != loadLoaded {
		return d
	}
	defaults := u.conf == nil || u.conf.Unit.DefaultDependencies
	system := m.cfg.Mode == System
	// Conflicts=/Before=shutdown.target, which every type's default
	// dependencies have.
	shutdown := func() {
		d.add(job.Conflicts, "shutdown.target")
		d.add(job.Before, "shutdown.target")
	}
	switch u.kind.(type) {
	case serviceKind:
		d.add(job.Requires, u.slice)
		d.add(job.After, u.slice)
		if defaults {
			if system {
				d.add(job.Requires, "sysinit.target")
				d.add(job.After, "sysinit.target", "basic.target")
			} else {
				d.add(job.Requires, "basic.target")
				d.add(job.After, "basic.target")
			}
			shutdown()
		}
	case socketKind:
		if u.sock != nil {
			d.add(job.Before, u.sock.Service)
		}
		if defaults {
			d.add(job.Before, "sockets.target")
			if system {
				d.add(job.Requires, "sysinit.target")
				d.add(job.After, "sysinit.target")
			}
			shutdown()
		}
	case targetKind:
		if defaults {
			shutdown()
			// A target is ordered after what it pulls in, unless that
			// unit opted out of default dependencies.
			for _, n := range slices.Concat(d[job.Wants], d[job.Requires]) {
				if o := other(n); o != nil && (o.conf == nil || o.conf.Unit.DefaultDependencies) &&
					!slices.Contains(d[job.Before], n) {
					d.add(job.After, n)
				}
			}
		}
	case sliceKind:
		if p := parentSlice(u.name); p != "" {
			d.add(job.Requires, p)
			d.add(job.After, p)
		}
		if defaults {
			shutdown()
		}
	}
	// A unit never depends on itself.
	for k, v := range d {
		d[k] = slices.DeleteFunc(v, func(n string) bool { return n == u.name })
	}
	return d
}

// graph is the dependency graph of the loaded units with both directions
// filled in, rebuilt when the set of loaded units changes. Callers hold
// m.mu.
type graph struct {
	m     *Manager
	deps  map[string]map[job.Dependency][]string
	dirty bool
}

func (g *graph) build() {
	if g.deps != nil && !g.dirty {
		return
	}
	m := g.m
	all := map[string]map[job.Dependency][]string{}
	other := func(n string) *Unit { return m.units[n] }
	for name, u := range m.units {
		all[name] = map[job.Dependency][]string(m.forwardDeps(u, other))
	}
	job.Symmetrize(all)
	g.deps, g.dirty = all, false
}

// Info reports a loaded unit's state and flags to the job queue.
func (g *graph) Info(name string) (job.Info, bool) {
	u := g.m.units[name]
	if u == nil {
		return job.Info{}, false
	}
	in := job.Info{State: jobState(u.active), Load: jobLoad(u.loadState), WillRestart: u.restartTimer != nil,
		OnFailureJobMode: job.Replace, OnSuccessJobMode: job.Fail}
	if c := u.conf; c != nil {
		in.RefuseManualStart, in.RefuseManualStop = c.Unit.RefuseManualStart, c.Unit.RefuseManualStop
		in.AllowIsolate, in.IgnoreOnIsolate = c.Unit.AllowIsolate, c.Unit.IgnoreOnIsolate
		in.StopWhenUnneeded = c.Unit.StopWhenUnneeded
		in.JobTimeout = c.Unit.JobTimeout
		if md, err := job.ParseMode(c.Unit.OnFailureJobMode); err == nil {
			in.OnFailureJobMode = md
		}
	}
	if _, ok := u.kind.(sliceKind); ok {
		// Slices stay while anything is in them; isolate leaves them be.
		in.IgnoreOnIsolate = true
	}
	return in, true
}

// Deps lists the units name has dependency d on.
func (g *graph) Deps(name string, d job.Dependency) []string {
	g.build()
	return g.deps[name][d]
}

// Units lists the loaded units.
func (g *graph) Units() []string {
	out := make([]string, 0, len(g.m.units))
	for n := range g.m.units {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func jobState(s ActiveState) job.ActiveState {
	switch s {
	case stateActive:
		return job.UnitActive
	case stateReloading:
		return job.UnitReloading
	case stateFailed:
		return job.UnitFailed
	case stateActivating:
		return job.UnitActivating
	case stateDeactivating:
		return job.UnitDeactivating
	case stateMaintenance:
		return job.UnitMaintenance
	}
	return job.UnitInactive
}

func jobLoad(s LoadState) job.LoadState {
	switch s {
	case loadLoaded:
		return job.Loaded
	case loadNotFound, loadStub:
		return job.NotFound
	case loadBadSetting:
		return job.BadSetting
	case loadMasked:
		return job.Masked
	}
	return job.LoadError
}

// loadClosure loads name and, transitively, every unit it names in a
// dependency, so a transaction finds them; a unit without a file is
// left out (its jobs then fail as not found). It takes m.mu itself.
func (m *Manager) loadClosure(name string) {
	seen := map[string]bool{}
	todo := []string{name}
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		u, err := m.load(n)
		if err != nil || u == nil {
			continue
		}
		m.mu.Lock()
		d := m.forwardDeps(u, func(string) *Unit { return nil })
		m.graph.dirty = true
		m.mu.Unlock()
		for _, names := range d {
			for _, o := range names {
				if !seen[o] {
					todo = append(todo, o)
				}
			}
		}
	}
}
