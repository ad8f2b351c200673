package manager

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/unit"
)

// busState is what a bus face tells the engine about the bus: which
// well-known names are owned (for Type=dbus readiness), whether the face
// can reach a bus at all, and who wants to hear of reloads. The engine
// speaks no D-Bus; a face (internal/busface) feeds it.
type busState struct {
	mu       sync.Mutex
	owners   map[string]string // well-known name -> unique owner; guarded by Manager.mu
	check    func() error      // can a Type=dbus service be tracked now? nil: yes
	onReload []func()
}

// Watch returns a reader of every unit's state changes from now on; next
// blocks until the next one and reports false once ctx ends.
func (m *Manager) Watch(ctx context.Context) (next func() (Event, bool)) {
	s := m.events.subscribe()
	go func() {
		<-ctx.Done()
		s.close()
	}()
	return func() (Event, bool) { return s.next(ctx) }
}

// ActiveState is a unit's active state now ("inactive" for one that is not
// loaded).
func (m *Manager) ActiveState(name string) ActiveState {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u := m.units[name]; u != nil {
		return u.active
	}
	return stateInactive
}

// UnitLoads reports whether name loads: its file is found and accepted. A
// unit not loaded yet is read but not kept (nor its warnings logged), so
// asking leaves no trace in list-units or the log.
func (m *Manager) UnitLoads(name string) bool {
	n, err := unit.ParseName(name)
	if err != nil || n.IsTemplate() {
		return false
	}
	m.mu.Lock()
	u, ok := m.units[name]
	m.mu.Unlock()
	if !ok {
		if target, alias := m.loader.Alias(name); alias && target != name {
			return m.UnitLoads(target)
		}
		if u, err = m.read(n); err != nil {
			return false
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return u.loadState == loadLoaded
}

// SetBusCheck sets what a Type=dbus start asks first: an error fails the
// start with its text (the system manager with no system bus).
func (m *Manager) SetBusCheck(check func() error) {
	m.bus.mu.Lock()
	m.bus.check = check
	m.bus.mu.Unlock()
}

// OnReload registers f to run (in a goroutine of its own) after each
// daemon-reload.
func (m *Manager) OnReload(f func()) {
	m.bus.mu.Lock()
	m.bus.onReload = append(m.bus.onReload, f)
	m.bus.mu.Unlock()
}

func (m *Manager) reloaded() {
	m.bus.mu.Lock()
	fs := append([]func(){}, m.bus.onReload...)
	m.bus.mu.Unlock()
	for _, f := range fs {
		go f()
	}
}

// BusNames replaces what is known of the bus's well-known names, as a face
// learns them on (re)connecting; nil when the bus is gone. A Type=dbus
// service starting whose name is among them is ready.
func (m *Manager) BusNames(owners map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bus.owners = owners
	for name, owner := range owners {
		m.busNameChangedLocked(name, owner)
	}
}

// BusNameOwner records a change of a well-known name's owner (empty: the
// name is lost), as NameOwnerChanged reports it.
func (m *Manager) BusNameOwner(name, owner string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bus.owners == nil {
		m.bus.owners = map[string]string{}
	}
	if owner == "" {
		delete(m.bus.owners, name)
	} else {
		m.bus.owners[name] = owner
	}
	m.busNameChangedLocked(name, owner)
}

// busNameChangedLocked acts on a name's new owner for the Type=dbus
// services named after it: one starting is ready once the name is owned;
// one running whose name goes away stops, as systemd 257 stops it (its
// result stays success; observed). Callers hold m.mu.
func (m *Manager) busNameChangedLocked(name, owner string) {
	for _, u := range m.units {
		if u.svc == nil || u.svc.Type != "dbus" || u.svc.BusName != name || u.run == nil {
			continue
		}
		switch {
		case owner != "" && u.active == stateActivating:
			u.run.markReady()
		case owner == "" && u.active == stateActive && u.sub == subRunning && !u.run.stopping:
			go m.Stop(context.Background(), u.name)
		}
	}
}

// busReadyNow says whether a Type=dbus service's name is owned already,
// and fails its start when no bus can be reached to learn it.
func (m *Manager) busReadyNow(u *Unit) (bool, error) {
	m.bus.mu.Lock()
	check := m.bus.check
	m.bus.mu.Unlock()
	if check != nil {
		if err := check(); err != nil {
			return false, fmt.Errorf("start %s: Type=dbus needs a bus to see %s on: %w", u.name, u.svc.BusName, err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bus.owners[u.svc.BusName] != "", nil
}

// busDeps adds what BusName= implies: Requires= and After= dbus.socket,
// as systemd 257's user and system managers add them (observed). The
// system manager's bus is the host's, which on a host without systemd is
// no unit: there a missing dbus.socket would fail every such start ("Unit
// dbus.socket not found."), so it is required only when the system
// manager has one (it is then started first); After= is added either way.
func (m *Manager) busDeps(u *Unit, d *unitDeps) {
	if u.svc == nil || u.svc.BusName == "" {
		return
	}
	d.add(job.After, "dbus.socket")
	if m.cfg.Mode == System {
		if _, err := m.loader.Load("dbus.socket"); errors.Is(err, unit.ErrNotFound) {
			return
		}
	}
	d.add(job.Requires, "dbus.socket")
}
