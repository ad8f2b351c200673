package manager

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/unit"
)

// sourceFile is one file a unit's configuration was read from, with the
// modification time it had then.
type sourceFile struct {
	path  string
	mtime int64
}

// sourcesOf lists the fragment and drop-ins of f with their times now.
func sourcesOf(f *unit.Unit) []sourceFile {
	if f == nil {
		return nil
	}
	var out []sourceFile
	for _, p := range append([]string{f.Fragment}, f.DropIns...) {
		s := sourceFile{path: p}
		if p == "" || strings.HasPrefix(p, unit.BuiltinPrefix) {
			continue
		}
		if st, err := os.Stat(p); err == nil {
			s.mtime = st.ModTime().UnixNano()
		}
		out = append(out, s)
	}
	return out
}

// read builds a unit from its file as it is on disk now: a loaded unit, or
// one standing for a broken or masked file.
func (m *Manager) read(n unit.Name) (*Unit, error) {
	name := n.String()
	f, err := m.loader.Load(name)
	var u *Unit
	switch {
	case errors.Is(err, unit.ErrNotFound):
		return nil, fmt.Errorf("%w: unit %s not found", errNoSuchUnit, name)
	case err != nil:
		// Broken or masked: keep it loaded in that state, so status can
		// say what is wrong and start can refuse with the reason.
		u = m.brokenUnit(n, f, err)
	default:
		u, err = m.newUnit(n, f)
		if errors.Is(err, errUnsupported) {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err != nil {
			var warnings []string
			if u != nil {
				warnings = u.warnings
			}
			u = m.brokenUnit(n, f, loadError(f, err))
			u.warnings = warnings
		}
	}
	u.sources = sourcesOf(f)
	return u, nil
}

// logLoad logs what is wrong with a freshly read unit.
func (m *Manager) logLoad(u *Unit) {
	if u.loadState == loadLoaded {
		for _, w := range append(u.warnings, m.modeWarnings(u)...) {
			m.logf(u, "%s", w)
		}
	} else {
		// As systemd does, the lines ignored come before the refusal
		// they may have caused.
		for _, w := range u.warnings {
			m.logf(u, "%s", w)
		}
		if u.loadState != loadMasked { // masking is no error: systemd logs nothing
			m.logf(u, "%s: %s", u.name, u.loadErr)
		}
	}
}

// Reload re-reads the unit files, as systemd's daemon-reload does. Units
// nothing holds (inactive, no job) are forgotten and read again on next
// use; every other one, running or failed, takes its new configuration at
// once and keeps its state, processes and job: what runs keeps running,
// and the new configuration applies from the next start.
func (m *Manager) Reload() {
	defer m.reloaded() // after the lock is let go
	began := time.Now()
	m.logf(nil, "Reloading...")
	m.mu.Lock()
	var keep []*Unit
	for name, u := range m.units {
		if m.loading == 0 && u.active == stateInactive && u.job == nil && !m.queuedLocked(name) {
			delete(m.units, name)
			m.graph.remove(name)
			continue
		}
		keep = append(keep, u)
	}
	m.mu.Unlock()
	slices.SortFunc(keep, func(a, b *Unit) int { return strings.Compare(a.name, b.name) })

	fresh := make([]*Unit, len(keep))
	for i, u := range keep {
		n, err := unit.ParseName(u.name)
		if err != nil {
			continue
		}
		f, err := m.read(n)
		if err != nil {
			// Gone from disk (or no longer usable): a failed unit is
			// forgotten, a running one keeps what it was started with.
			m.logf(u, "%s: not re-read: %v", u.name, err)
			continue
		}
		m.logLoad(f)
		fresh[i] = f
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	// Take every re-read unit's edges out before any goes back in: one
	// unit's removal also takes out an edge another one declares too.
	// A unit something acts on (a job, a main process's end) keeps its
	// configuration until that ends: the code acting reads it without the
	// lock, and a run goes on as it began (see settleConfigLocked).
	for i, u := range keep {
		if m.units[u.name] != u {
			continue
		}
		if fresh[i] == nil && m.loading == 0 && u.active == stateFailed && u.job == nil && !m.queuedLocked(u.name) {
			delete(m.units, u.name)
			m.graph.remove(u.name)
			continue
		}
		if fresh[i] != nil && u.job == nil {
			m.graph.remove(u.name)
		}
	}
	for i, u := range keep {
		if fresh[i] == nil || m.units[u.name] != u {
			continue
		}
		u.sources = fresh[i].sources
		if u.job != nil {
			u.nextConf = fresh[i]
			continue
		}
		u.nextConf = nil
		u.takeConfig(fresh[i])
		m.graph.add(u)
		if w := u.path; w != nil {
			go w.reload()
		}
	}
	m.timersReloadedLocked()
	m.logf(nil, "Reloading finished in %d ms.", time.Since(began).Milliseconds())
}

// ReloadRequested is daemon-reload asked for by the client process pid:
// systemd's line naming it, then Reload.
func (m *Manager) ReloadRequested(pid int) {
	comm := "n/a" // a capsule cannot see root's client
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && pid > 0 {
		comm = strings.TrimSuffix(string(b), "\n")
	}
	m.logf(nil, "Reload requested from client PID %d ('%s')...", pid, comm)
	m.Reload()
}

// pinLoads keeps every loaded unit loaded until the returned function is
// called: a request loads its unit and what that pulls in one by one, then
// installs jobs for them, and a reload or unload in between that forgot an
// idle one made the request fail as "not found" or drop a dependency.
// Reload still re-reads what it keeps, so only the forgetting waits.
func (m *Manager) pinLoads() func() {
	m.mu.Lock()
	m.loading++
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		m.loading--
		m.mu.Unlock()
	}
}

// settleConfigLocked gives u the configuration a reload read while u was
// busy, once nothing acts on it any more. Callers hold m.mu.
func (m *Manager) settleConfigLocked(u *Unit) {
	f := u.nextConf
	if f == nil || u.job != nil || m.units[u.name] != u {
		return
	}
	u.nextConf = nil
	m.graph.replace(u, func() { u.takeConfig(f) })
	if w := u.path; w != nil {
		go w.reload()
	}
}

// takeConfig gives u the configuration of f, a fresh read of its file,
// keeping u's runtime state. A unit whose new file is broken keeps its
// old settings (what runs may still need its stop commands) and shows the
// load error.
func (u *Unit) takeConfig(f *Unit) {
	u.file, u.sources, u.loadState, u.loadErr = f.file, f.sources, f.loadState, f.loadErr
	if f.loadState != loadLoaded {
		return
	}
	u.conf, u.warnings, u.description = f.conf, f.warnings, f.description
	u.slice = f.slice
	u.svc, u.sock, u.sliceRes, u.transient = f.svc, f.sock, f.sliceRes, f.transient
}

// needDaemonReload reports whether u's fragment or drop-ins changed on
// disk (or others appeared) since u was read (NeedDaemonReload=).
func (m *Manager) needDaemonReload(u *Unit) bool {
	m.mu.Lock()
	loaded := u.sources
	m.mu.Unlock()
	f, _ := m.loader.Load(u.name)
	return !slices.Equal(loaded, sourcesOf(f))
}
