package manager

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// Property is one property as `systemctl show` prints it: systemd's name
// and its value in systemd's format ("" when unset).
type Property struct {
	Name, Value string
}

// Properties lists the named unit's properties, or the manager's when name
// is empty, in systemd's order. A unit without a file is shown as
// systemd shows it: not-found and inactive.
//
// The values come from two places: the engine's runtime state (below),
// and the unit's configuration (configProperties), which is where the
// directive table's properties join in.
func (m *Manager) Properties(name string) ([]Property, error) {
	if name == "" {
		return ordered(propertyOrder()[""], m.managerProperties()), nil
	}
	n, err := unit.ParseName(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errInvalid, err)
	}
	m.mu.Lock()
	u, ok := m.units[name]
	m.mu.Unlock()
	if !ok {
		u, err = m.load(name)
		if errors.Is(err, errNoSuchUnit) {
			return ordered(propertyOrder()[n.Type], notFoundProperties(name, n.Type)), nil
		}
		if err != nil {
			return nil, err
		}
		defer m.collectIdle(u)
	}
	// Defaults (counters.go) under the configuration under the runtime state.
	conf := m.configProperties(u)
	base := unitDefaultProperties()
	switch u.kind.typeName() {
	case "service":
		base = append(append(base, serviceDefaultProperties(conf)...), inheritedProperties("Limit", 0)...)
	case "socket":
		base = append(base, socketDefaultProperties()...)
	case "timer":
		return ordered(timerPropertyOrder(), overlay(overlay(base, conf), m.runtimeProperties(u))), nil
	}
	return ordered(propertyOrder()[u.kind.typeName()], overlay(overlay(base, conf), m.runtimeProperties(u))), nil
}

// configProperties are the properties of u's configuration, from the
// directive table (internal/unitconf), with the manager's defaults
// filled in where the file leaves them to it.
func (m *Manager) configProperties(u *Unit) []Property {
	m.mu.Lock()
	c, _ := u.shownLocked()
	m.mu.Unlock()
	if c.conf == nil {
		return nil
	}
	var out []Property
	for _, p := range unitconf.Properties(c.conf) {
		out = append(out, Property{p.Name, p.Value})
	}
	if c.svc != nil {
		out = overlay(out, []Property{{"KeyringMode", string(m.keyringMode(c))}})
	}
	return out
}

// shownLocked are the units whose configuration (conf) and file and load
// state (load) show and status give: what the last reload read, even
// while a job still runs with what it began with (systemd's reload
// replaces it at once). A broken new file leaves the old settings in use
// (takeConfig), so those are shown with the new load state. Callers hold
// m.mu.
func (u *Unit) shownLocked() (conf, load *Unit) {
	f := u.nextConf
	switch {
	case f == nil:
		return u, u
	case f.loadState != loadLoaded:
		return u, f
	}
	return f, f
}

// runtimeProperties are what the engine knows of u's state.
func (m *Manager) runtimeProperties(u *Unit) []Property {
	fileState := "static"
	if st, err := m.UnitFileState(u.name); err == nil {
		fileState = st
	}
	needReload := m.needDaemonReload(u)
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Property
	add := func(name, value string) { out = append(out, Property{name, value}) }
	add("Id", u.name)
	add("Names", strings.Join(m.loader.Names(u.name), " "))
	// Dependencies come from the graph the job engine uses, with the
	// implicit and default ones and the reverse directions of what the
	// loaded units declare.
	for _, d := range job.Dependencies() {
		add(d.String(), strings.Join(m.graph.Deps(u.name, d), " "))
	}
	c, l := u.shownLocked()
	add("Description", c.description)
	add("LoadState", l.loadState.String())
	if l.loadState == loadBadSetting {
		// systemd's D-Bus error for it (observed 257).
		add("LoadError", fmt.Sprintf("org.freedesktop.systemd1.BadUnitSetting \"Unit %s has a bad unit file setting.\"", u.name))
	}
	add("ActiveState", u.active.String())
	add("SubState", u.sub.String())
	if l.file != nil {
		add("FragmentPath", l.file.Fragment)
		add("DropInPaths", strings.Join(l.file.DropIns, " "))
	}
	add("UnitFileState", fileState)
	add("NeedDaemonReload", unitconf.FormatBool(needReload))
	addStamp := func(name string, s stamp) {
		v := ""
		if !s.wall.IsZero() {
			v = formatTimestamp(s)
		}
		add(name+"Timestamp", v)
		add(name+"TimestampMonotonic", strconv.FormatUint(s.mono, 10))
	}
	addStamp("StateChange", u.stamps.change)
	addStamp("InactiveExit", u.stamps.inactiveExit)
	addStamp("ActiveEnter", u.stamps.activeEnter)
	addStamp("ActiveExit", u.stamps.activeExit)
	addStamp("InactiveEnter", u.stamps.inactiveEnter)
	add("CanStart", unitconf.FormatBool(l.loadState == loadLoaded))
	add("CanStop", "yes")
	add("CanReload", unitconf.FormatBool(u.canReload()))
	add("Transient", unitconf.FormatBool(u.transient))
	// Only systemd's own root slice and init scope are perpetual.
	add("Perpetual", "no")
	add("InvocationID", u.invocation)
	collect := "inactive"
	if u.run != nil && u.run.collect {
		collect = "inactive-or-failed" // run --collect
	}
	add("CollectMode", collect)
	jobID := ""
	if id, ok := m.unitJobLocked(u.name); ok {
		jobID = strconv.FormatUint(uint64(id), 10)
	}
	add("Job", jobID)
	out = append(out, u.conditionProperties()...)
	typ := u.kind.typeName()
	switch typ {
	case "service", "socket", "path":
		add("Result", u.result.String())
		if typ == "socket" {
			out = append(out, acceptProperties(u.accept)...)
			out = append(out, m.socketRunPropertiesLocked(u)...)
		}
	case "timer":
		out = append(out, m.timerPropertiesLocked(u)...)
	}
	if typ == "service" || typ == "slice" {
		slice := u.slice
		if typ == "slice" {
			slice = parentSlice(u.name)
			if slice == "" && u.name != "-.slice" {
				slice = "-.slice"
			}
		}
		add("Slice", slice)
		cg := ""
		if typ == "slice" && u.active == stateActive {
			cg = m.cgroupPath(u)
		} else if rs := u.run; rs != nil && u.active != stateInactive && u.active != stateFailed {
			cg = rs.cgroup
		}
		if cg != "" {
			cg = "/" + strings.TrimPrefix(cg, "/")
		}
		add("ControlGroup", cg)
	}
	if typ == "service" {
		rs := u.run
		mainPID, execPID := 0, 0
		uid, gid := "[not set]", "[not set]"
		if rs != nil && rs.main != nil {
			execPID = rs.main.PID
			if !rs.main.HasExited() && u.active != stateInactive && u.active != stateFailed {
				mainPID = rs.main.PID
			}
		}
		if rs != nil && u.svc.DynamicUser && u.active != stateInactive && u.active != stateFailed {
			uid, gid = strconv.Itoa(rs.uid), strconv.Itoa(rs.uid)
		}
		add("ReloadResult", u.reloadResult.String())
		add("MainPID", strconv.Itoa(mainPID))
		controlPID := 0
		if rs != nil && rs.control != nil && !rs.control.HasExited() {
			controlPID = rs.control.PID
		}
		add("ControlPID", strconv.Itoa(controlPID))
		add("StatusText", u.statusText)
		add("UID", uid)
		add("GID", gid)
		addStamp("ExecMainStart", u.stamps.mainStart)
		addStamp("ExecMainExit", u.stamps.mainExit)
		cg := ""
		var v1 []v1Member
		if rs != nil && u.active != stateInactive && u.active != stateFailed {
			cg, v1 = rs.cgroup, rs.v1
		}
		out = append(out, m.cgroupCounters(cg, v1)...)
		if mainPID > 0 {
			out = append(out, inheritedProperties("Limit", mainPID)...)
		}
		add("NRestarts", strconv.Itoa(u.restarts.n))
		if u.svc != nil {
			add("RestartUSecNext", unitconf.FormatTimespan(u.svc.NextRestartDelay(u.restarts.n)))
		}
		add("ExecMainPID", strconv.Itoa(execPID))
		add("ExecMainCode", strconv.Itoa(exitCodeNumber(u.exitCode)))
		add("ExecMainStatus", strconv.Itoa(u.exitStatus))
		out = append(out, execPropertiesLocked(u)...)
	}
	return out
}

// notFoundProperties describe a unit without a file, as systemd does.
func notFoundProperties(name, kind string) []Property {
	ps := []Property{{"Id", name}, {"Names", name}, {"Description", name}, {"LoadState", "not-found"},
		{"ActiveState", "inactive"}, {"SubState", "dead"}, {"CanStart", "no"}, {"CanStop", "yes"},
		{"CanReload", "no"}, {"Transient", "no"}, {"Perpetual", "no"}, {"CollectMode", "inactive"},
		{"LoadError", fmt.Sprintf("org.freedesktop.systemd1.NoSuchUnit \"Unit %s not found.\"", name)}}
	for _, s := range []string{"StateChange", "InactiveExit", "ActiveEnter", "ActiveExit", "InactiveEnter"} {
		ps = append(ps, Property{s + "Timestamp", ""}, Property{s + "TimestampMonotonic", "0"})
	}
	if kind == "service" || kind == "socket" {
		ps = append(ps, Property{"Result", "success"})
	}
	if kind == "service" {
		ps = append(ps, Property{"MainPID", "0"}, Property{"ControlPID", "0"}, Property{"UID", "[not set]"},
			Property{"GID", "[not set]"}, Property{"ExecMainPID", "0"}, Property{"ExecMainCode", "0"},
			Property{"ExecMainStatus", "0"})
	}
	return ps
}

// managerProperties describe the manager itself.
func (m *Manager) managerProperties() []Property {
	st := m.Status()
	state := st.State
	return overlay(managerDefaultProperties(), []Property{
		{"Version", Version},
		{"Architecture", unit.Architecture()},
		{"UserspaceTimestamp", st.Since.Format(timestampLayout)},
		{"NNames", strconv.Itoa(st.Units)},
		{"NFailedUnits", strconv.Itoa(st.Failed)},
		{"NJobs", strconv.Itoa(m.installedJobs())},
		{"NInstalledJobs", strconv.FormatUint(m.jobsInstalledEver(), 10)},
		{"Environment", unitconf.FormatList(m.Environment())},
		{"UnitPath", strings.Join(m.loader.Paths, " ")},
		{"ControlGroup", "/" + strings.TrimPrefix(m.cfg.CgroupBase, "/")},
		{"SystemState", state},
	})
}

// timestampLayout is systemd's timestamp format ("Sun 2026-11-29 20:50:38 UTC").
const timestampLayout = "Mon 2006-01-02 15:04:05 MST"

func formatTimestamp(s stamp) string { return s.wall.Format(timestampLayout) }

// exitCodeNumber is the siginfo code systemd shows as ExecMainCode.
func exitCodeNumber(code string) int {
	switch code {
	case "exited":
		return 1
	case "killed":
		return 2
	case "dumped":
		return 3
	}
	return 0
}

// overlay replaces the properties of base that over names (a property
// may have several lines, ExecStart= for one) and adds the others.
func overlay(base, over []Property) []Property {
	names := map[string]bool{}
	for _, p := range over {
		names[p.Name] = true
	}
	var out []Property
	for _, p := range base {
		if !names[p.Name] {
			out = append(out, p)
		}
	}
	return append(out, over...)
}

// ordered sorts ps into order; properties order does not name follow in
// the order they came.
func ordered(order []string, ps []Property) []Property {
	rank := make(map[string]int, len(order))
	for i, n := range order {
		rank[n] = i
	}
	sort.SliceStable(ps, func(i, j int) bool {
		ri, oki := rank[ps[i].Name]
		rj, okj := rank[ps[j].Name]
		switch {
		case oki && okj:
			return ri < rj
		}
		return oki && !okj
	})
	return ps
}
