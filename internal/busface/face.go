// Package busface is the manager's D-Bus face: in a capsule it joins the
// capsule's bus as org.freedesktop.systemd1 once the broker runs and
// answers the broker's activation requests; in both managers it tells the
// engine which bus names are owned, for Type=dbus services. It drives the
// engine only through the manager's public methods and events, as
// internal/control does for varlink.
package busface

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/capsuled/capsuled/internal/manager"
)

const (
	brokerUnit = "dbus.service"
	// DefaultSystemBus is where the host's system bus listens.
	DefaultSystemBus = "unix:path=/run/dbus/system_bus_socket"
	// SystemBusEnv names another system bus address, for tests only.
	SystemBusEnv = "CAPSULED_SYSTEM_BUS_ADDRESS"

	driverName = "org.freedesktop.DBus"
	driverPath = "/org/freedesktop/DBus"
	ourName    = "org.freedesktop.systemd1"
	activator  = "org.freedesktop.systemd1.Activator"
)

// Face is the manager's bus face.
type Face struct {
	m       *manager.Manager
	log     func(string)
	address string // the bus this face joins
	capsule bool   // a capsule's own bus (else the host's system bus)
	rtDir   string // the capsule's XDG_RUNTIME_DIR

	// dial is held while joining the bus: the event loop and a dropped
	// connection's reader may both try, and only one connection may be
	// made (each one more would stay open, a connection and an fd).
	dial sync.Mutex
	// refresh is held while the service directory is rewritten.
	refresh sync.Mutex

	mu      sync.Mutex
	conn    *dbus.Conn
	ctx     context.Context   // Run's
	owners  map[string]string // well-known names and their owners, as last seen
	waiters map[string][]chan struct{}
	units   map[string][]string // SystemdService= unit -> its bus names
	active  map[string]bool     // units whose activation is under way
}

// New makes the face of m; log takes lines for the manager's stderr.
func New(m *manager.Manager, log func(string)) *Face {
	f := &Face{m: m, log: log, owners: map[string]string{}, waiters: map[string][]chan struct{}{},
		units: map[string][]string{}, active: map[string]bool{}}
	if m.Mode() == manager.User {
		f.capsule = true
		f.rtDir = filepath.Dir(m.RuntimeDir())
		f.address, _ = m.BusAddress()
	} else {
		f.address = DefaultSystemBus
		if a := os.Getenv(SystemBusEnv); a != "" {
			f.address = a
		}
	}
	return f
}

// ConfigPath is the broker's configuration file in a capsule, which
// units/user/dbus.service names.
func ConfigPath(runtimeDir string) string { return filepath.Join(runtimeDir, "dbus-1", "capsule.conf") }

func (f *Face) serviceDir() string { return filepath.Join(f.rtDir, "dbus-1", "activatable") }

// Prepare writes the capsule broker's configuration before any unit
// starts; its service files follow in the background: reading the units
// they name takes milliseconds a capsule's start need not wait for, and the
// broker, which watches the directory, takes them as they come (and is
// told to reread it if it already runs).
func (f *Face) Prepare() error {
	if !f.capsule {
		return nil
	}
	if err := os.MkdirAll(f.serviceDir(), 0o755); err != nil {
		return fmt.Errorf("make %s: %w", f.serviceDir(), err)
	}
	if err := writeFile(ConfigPath(f.rtDir), brokerConfig(f.serviceDir())); err != nil {
		return err
	}
	go func() {
		if err := f.refreshServices(); err != nil {
			f.log("bus: " + err.Error())
			return
		}
		if c := f.current(); c != nil {
			c.BusObject().Go("org.freedesktop.DBus.ReloadConfig", 0, nil)
		}
	}()
	return nil
}

// refreshServices rewrites the filtered service directory; one at a time.
func (f *Face) refreshServices() error {
	f.refresh.Lock()
	defer f.refresh.Unlock()
	a := activatable{unitLoads: f.m.UnitLoads, executable: executable}
	files := a.collect(serviceDirs(os.Getenv))
	units := map[string][]string{}
	for _, s := range files {
		if s.SystemdService != "" {
			units[s.SystemdService] = append(units[s.SystemdService], s.Name)
		}
	}
	f.mu.Lock()
	f.units = units
	f.mu.Unlock()
	return writeServiceDir(f.serviceDir(), files)
}

// Run serves until ctx ends: in a capsule it follows the broker's unit,
// joining the bus while it runs; in the system manager it joins the
// host's system bus when a Type=dbus service first needs it.
func (f *Face) Run(ctx context.Context) {
	f.mu.Lock()
	f.ctx = ctx
	f.mu.Unlock()
	if !f.capsule {
		f.m.SetBusCheck(func() error { return f.ensureSystemBus(ctx) })
		<-ctx.Done()
		f.disconnect(nil)
		return
	}
	f.m.OnReload(func() {
		if err := f.refreshServices(); err != nil {
			f.log("bus: " + err.Error())
			return
		}
		if c := f.current(); c != nil {
			c.BusObject().Go("org.freedesktop.DBus.ReloadConfig", 0, nil)
		}
	})
	next := f.m.Watch(ctx)
	if running(f.m.ActiveState(brokerUnit).String()) {
		f.connectBroker(ctx)
	}
	for {
		e, ok := next()
		if !ok {
			f.disconnect(nil)
			return
		}
		if e.Unit != brokerUnit || e.New == e.Old {
			continue
		}
		switch {
		case running(e.New.String()):
			f.connectBroker(ctx)
		case running(e.Old.String()):
			f.disconnect(nil)
		}
	}
}

// running tells the broker's active states in which it serves: it is
// "reloading" while it rereads its configuration (on each daemon-reload),
// with every connection kept.
func running(state string) bool { return state == "active" || state == "reloading" }

// runCtx is Run's context: a connection made again after a drop ends
// with it.
func (f *Face) runCtx() context.Context {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx == nil {
		return context.Background()
	}
	return f.ctx
}

func (f *Face) current() *dbus.Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conn
}

// connectBroker joins the capsule's bus, a few tries apart while the
// broker comes up; a later drop while it runs is joined again.
func (f *Face) connectBroker(ctx context.Context) {
	f.dial.Lock()
	defer f.dial.Unlock()
	if f.current() != nil {
		return
	}
	var err error
	for i := 0; i < 5; i++ {
		if err = f.connect(ctx); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(50<<i) * time.Millisecond):
		}
		if !running(f.m.ActiveState(brokerUnit).String()) {
			return
		}
	}
	f.log(fmt.Sprintf("bus: cannot join the capsule's bus: %v", err))
}

// ensureSystemBus joins the host's system bus unless joined already.
func (f *Face) ensureSystemBus(ctx context.Context) error {
	f.dial.Lock()
	defer f.dial.Unlock()
	if f.current() != nil {
		return nil
	}
	if err := f.connect(ctx); err != nil {
		return fmt.Errorf("no system bus at %s: %w", strings.TrimPrefix(f.address, "unix:path="), err)
	}
	return nil
}

// connect dials the bus, learns its names and starts reading it.
func (f *Face) connect(ctx context.Context) error {
	sigs := newDriverSignals()
	c, err := dbus.Connect(f.address, dbus.WithSignalHandler(sigs), dbus.WithContext(ctx), dbus.WithIncomingInterceptor(peerCalls))
	if err != nil {
		return err
	}
	bus := c.BusObject()
	match := "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'"
	if err := bus.Call("org.freedesktop.DBus.AddMatch", 0, match).Err; err != nil {
		c.Close()
		return fmt.Errorf("watch name owners: %w", err)
	}
	if f.capsule {
		// A method table, not Export: Export's reflection over methods
		// would keep every method of every type in the binary (the linker
		// can no longer drop unused ones), some 650 KiB more RSS for each
		// capsule's manager.
		methods := map[string]any{"SetEnvironment": f.setEnvironment}
		if err := c.ExportMethodTable(methods, managerPath, managerIface); err != nil {
			c.Close()
			return err
		}
		if err := exportObjects(c); err != nil {
			c.Close()
			return err
		}
		// Queued rather than refused if a program of the capsule took the
		// name first: the name comes to us once it lets go.
		var reply uint32
		if err := bus.Call("org.freedesktop.DBus.RequestName", 0, ourName, uint32(0)).Store(&reply); err != nil {
			c.Close()
			return fmt.Errorf("request %s: %w", ourName, err)
		}
		if reply != 1 && reply != 4 {
			f.log(fmt.Sprintf("bus: %s is owned by another connection; bus activation waits until it is ours", ourName))
		}
	}
	var names []string
	if err := bus.Call("org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
		c.Close()
		return fmt.Errorf("list names: %w", err)
	}
	owners := map[string]string{}
	for _, n := range names {
		if strings.HasPrefix(n, ":") || n == driverName {
			continue
		}
		var owner string
		if bus.Call("org.freedesktop.DBus.GetNameOwner", 0, n).Store(&owner) == nil {
			owners[n] = owner
		}
	}
	f.mu.Lock()
	if f.conn != nil { // callers hold dial, so this is a bug's guard only
		f.mu.Unlock()
		c.Close()
		return nil
	}
	f.conn = c
	f.owners = owners
	f.mu.Unlock()
	f.m.BusNames(owners)
	go f.read(c, sigs)
	return nil
}

// disconnect leaves the bus (c, or whichever is joined for nil).
func (f *Face) disconnect(c *dbus.Conn) {
	f.mu.Lock()
	if c == nil {
		c = f.conn
	}
	if c == nil || c != f.conn {
		f.mu.Unlock()
		return
	}
	f.conn = nil
	f.owners = map[string]string{}
	f.mu.Unlock()
	c.Close()
	f.m.BusNames(nil)
}

// read handles the driver's signals until the connection ends.
func (f *Face) read(c *dbus.Conn, sigs *driverSignals) {
	defer func() {
		f.disconnect(c)
		// Dropped while the broker still runs (it was restarted under us,
		// say): join again.
		if f.capsule && running(f.m.ActiveState(brokerUnit).String()) {
			go f.connectBroker(f.runCtx())
		}
	}()
	for {
		select {
		case s := <-sigs.ch:
			f.signal(c, s)
		case <-sigs.done:
			return
		case <-c.Context().Done():
			return
		}
	}
}

func (f *Face) signal(c *dbus.Conn, s *dbus.Signal) {
	switch {
	case s.Name == "org.freedesktop.DBus.NameOwnerChanged" && s.Path == driverPath:
		var name, old, owner string
		if dbus.Store(s.Body, &name, &old, &owner) != nil || strings.HasPrefix(name, ":") {
			return
		}
		f.mu.Lock()
		if owner == "" {
			delete(f.owners, name)
		} else {
			f.owners[name] = owner
			for _, w := range f.waiters[name] {
				close(w)
			}
			delete(f.waiters, name)
		}
		f.mu.Unlock()
		f.m.BusNameOwner(name, owner)
	case s.Name == activator+".ActivationRequest" && s.Path == driverPath && f.capsule:
		var unit string
		if dbus.Store(s.Body, &unit) != nil {
			return
		}
		f.activate(c, unit)
	}
}

// driverSignals takes only the bus driver's signals: the broker sets a
// message's sender to the sending connection's unique name, so a program
// on the bus cannot pass for org.freedesktop.DBus (systemd checks the
// same). Anything else is dropped before it is queued, so a flood of
// forged signals costs a comparison each.
type driverSignals struct {
	ch   chan *dbus.Signal
	done chan struct{}
	once sync.Once
}

func newDriverSignals() *driverSignals {
	return &driverSignals{ch: make(chan *dbus.Signal, 64), done: make(chan struct{})}
}

func (d *driverSignals) DeliverSignal(iface, member string, s *dbus.Signal) {
	if s.Sender != driverName {
		return
	}
	// Blocking: the bus holds back what it sends us rather than us
	// queueing without bound.
	select {
	case d.ch <- s:
	case <-d.done:
	}
}

func (d *driverSignals) Terminate() { d.once.Do(func() { close(d.done) }) }
