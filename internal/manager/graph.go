package manager

import (
	"slices"
	"sort"

	"github.com/capsuled/capsuled/internal/job"
)

// unitDeps are a unit's dependencies on other units, as its file, its
// .wants/.requires directories and the implicit and default dependencies
// of its type (systemd.service(5), socket(5), target(5), slice(5)) make
// them. Reverse directions are filled in by the graph. A short slice
// rather than a map: a unit has a handful of kinds, and two maps per
// loaded unit cost some 500 bytes more (BenchmarkTimerUnitsMemory).
type unitDeps []depList

type depList struct {
	dep   job.Dependency
	names []string
}

func (d unitDeps) get(dep job.Dependency) []string {
	if i := d.index(dep); i >= 0 {
		return d[i].names
	}
	return nil
}

func (d unitDeps) index(dep job.Dependency) int {
	return slices.IndexFunc(d, func(x depList) bool { return x.dep == dep })
}

func (d *unitDeps) add(dep job.Dependency, names ...string) {
	for _, n := range names {
		if n == "" {
			continue
		}
		i := d.index(dep)
		if i < 0 {
			*d = append(*d, depList{dep: dep})
			i = len(*d) - 1
		}
		if l := &(*d)[i]; !slices.Contains(l.names, n) {
			l.names = append(l.names, n)
		}
	}
}

// forwardDeps computes u's own dependencies. other looks up another loaded
// unit (for a target's After= on what it wants); callers hold m.mu.
func (m *Manager) forwardDeps(u *Unit, other func(string) *Unit) unitDeps {
	var d unitDeps
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
		d.add(job.Upholds, u.file.Upholds...)
	}
	m.canonicalDeps(d)
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
		m.busDeps(u, &d)
	case socketKind:
		if u.sock != nil && !u.sock.Accept {
			d.add(job.Before, u.sock.Service)
			d.add(job.Triggers, u.sock.Service)
		}
		if defaults {
			d.add(job.Before, "sockets.target")
			if system {
				d.add(job.Requires, "sysinit.target")
				d.add(job.After, "sysinit.target")
			}
			shutdown()
		}
	case pathKind:
		d.add(job.Before, u.conf.Path.Unit)
		d.add(job.Triggers, u.conf.Path.Unit)
		if defaults {
			d.add(job.Before, "paths.target")
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
			for _, n := range slices.Concat(d.get(job.Wants), d.get(job.Requires)) {
				if o := other(n); o != nil && (o.conf == nil || o.conf.Unit.DefaultDependencies) &&
					!slices.Contains(d.get(job.Before), n) {
					d.add(job.After, n)
				}
			}
		}
	case timerKind:
		m.timerDeps(u, &d, defaults, shutdown)
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
	for i := range d {
		d[i].names = slices.DeleteFunc(d[i].names, func(n string) bool { return n == u.name })
	}
	return d
}

// graph is the dependency graph of the loaded units with both directions
// filled in, kept up to date as units load and unload (rebuilding it per
// transaction would cost a thousand capsules milliseconds each). Callers
// hold m.mu.
type graph struct {
	m    *Manager
	fwd  map[string]unitDeps // each loaded unit's own dependencies
	deps map[string]unitDeps // every loaded unit's edges, both directions
}

func (g *graph) edge(from string, d job.Dependency, to string) {
	if g.deps == nil {
		g.deps = map[string]unitDeps{}
	}
	for _, e := range [2]struct {
		a, b string
		d    job.Dependency
	}{{from, to, d}, {to, from, d.Inverse()}} {
		l := g.deps[e.a]
		i := l.index(e.d)
		if i < 0 {
			l = append(l, depList{dep: e.d})
			i = len(l) - 1
		}
		if !slices.Contains(l[i].names, e.b) {
			l[i].names = append(l[i].names, e.b)
		}
		g.deps[e.a] = l
	}
}

func (g *graph) unedge(from string, d job.Dependency, to string) {
	for _, e := range [2]struct {
		a, b string
		d    job.Dependency
	}{{from, to, d}, {to, from, d.Inverse()}} {
		l := g.deps[e.a]
		if i := l.index(e.d); i >= 0 {
			l[i].names = slices.DeleteFunc(l[i].names, func(n string) bool { return n == e.b })
		}
	}
}

// add enters a newly loaded unit.
func (g *graph) add(u *Unit) {
	if g.fwd == nil {
		g.fwd = map[string]unitDeps{}
	}
	f := g.m.forwardDeps(u, func(n string) *Unit { return g.m.units[n] })
	g.fwd[u.name] = f
	for _, l := range f {
		for _, o := range l.names {
			g.edge(u.name, l.dep, o)
		}
	}
	// Targets loaded before u that pull it in are ordered after it too.
	if u.conf != nil && !u.conf.Unit.DefaultDependencies {
		return
	}
	for _, t := range slices.Concat(g.deps[u.name].get(job.WantedBy), g.deps[u.name].get(job.RequiredBy)) {
		tu := g.m.units[t]
		if tu == nil || tu.conf == nil || !tu.conf.Unit.DefaultDependencies {
			continue
		}
		if _, ok := tu.kind.(targetKind); !ok || slices.Contains(g.fwd[t].get(job.Before), u.name) {
			continue
		}
		tf := g.fwd[t]
		tf.add(job.After, u.name)
		g.fwd[t] = tf
		g.edge(t, job.After, u.name)
	}
}

// remove takes out what an unloaded unit itself declared; what other
// units declare about it stays, as they still name it.
func (g *graph) remove(name string) {
	for _, l := range g.fwd[name] {
		for _, o := range l.names {
			g.unedge(name, l.dep, o)
		}
	}
	delete(g.fwd, name)
}

// replace enters u's dependencies anew after change altered its
// configuration. Edges other units declare towards u too go back in, as
// taking out u's own also took out those.
func (g *graph) replace(u *Unit, change func()) {
	old := g.fwd[u.name]
	g.remove(u.name)
	change()
	g.add(u)
	for _, l := range old {
		for _, o := range l.names {
			for _, ol := range g.fwd[o] {
				if slices.Contains(ol.names, u.name) {
					g.edge(o, ol.dep, u.name)
				}
			}
		}
	}
}

// Info reports a loaded unit's state and flags to the job queue.
func (g *graph) Info(name string) (job.Info, bool) {
	u := g.m.units[name]
	if u == nil {
		return job.Info{}, false
	}
	in := job.Info{State: jobState(u.active), Load: jobLoad(u.loadState), WillRestart: u.restartTimer != nil || u.autoRestart,
		OnFailureJobMode: job.Replace, OnSuccessJobMode: job.Fail}
	in.CanReload = u.canReload()
	if c := u.conf; c != nil {
		in.RefuseManualStart, in.RefuseManualStop = c.Unit.RefuseManualStart, c.Unit.RefuseManualStop
		in.AllowIsolate, in.IgnoreOnIsolate = c.Unit.AllowIsolate, c.Unit.IgnoreOnIsolate
		in.StopWhenUnneeded = c.Unit.StopWhenUnneeded
		in.JobTimeout, in.JobRunningTimeout = c.Unit.JobTimeout, c.Unit.JobRunningTimeout
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
	return g.deps[name].get(d)
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
		for _, l := range m.graph.fwd[u.name] {
			for _, o := range l.names {
				if !seen[o] {
					todo = append(todo, o)
				}
			}
		}
		m.mu.Unlock()
	}
}

// canonicalDeps names, in place, the unit behind each alias among the
// declared dependencies: systemd merges a unit's names into one unit, so
// Wants= on an alias pulls in the unit itself, not a copy of it.
func (m *Manager) canonicalDeps(d unitDeps) {
	if m.loader == nil {
		return
	}
	for i := range d {
		names := d[i].names[:0:0]
		for _, n := range d[i].names {
			if t, ok := m.loader.Alias(n); ok && t != n {
				n = t
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		d[i].names = names
	}
}
