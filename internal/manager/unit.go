package manager

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/capsuled/capsuled/internal/condition"
	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// Unit is a loaded unit and its runtime state. Fields below mu-protected
// are guarded by Manager.mu.
type Unit struct {
	name        string
	kind        kind
	file        *unit.Unit
	conf        *unitconf.Unit // typed configuration
	warnings    []string       // about the unit's file, logged when it is loaded
	description string
	slice       string
	svc         *serviceConfig
	sock        *socketConfig
	sliceRes    resources // MemoryMax=, TasksMax= of a slice
	transient   bool
	// collectDead: unload once dead, as a transient unit, but keep its
	// file (an Accept=yes instance, whose file is its template's).
	collectDead bool
	nextConf    *Unit // read by a reload while u was busy; see settleConfigLocked
	// log holds output of a unit running under a dynamic user, which is
	// kept in memory only (see unitLog); the rest is in Manager.store.
	log         *logstore.Ring
	logInvoc    atomic.Pointer[string] // the invocation ID, for log lines
	logLimit    *logstore.Limiter      // of the unit's output, made on first use
	logLimitSet sync.Once
	loadState   LoadState
	loadErr     string
	sources     []sourceFile // what the configuration was read from
	events      *feed        // where state changes go

	// Guarded by Manager.mu.
	active     ActiveState
	sub        SubState
	since      time.Time
	stamps     stateStamps
	job        chan struct{}
	invocation string
	result     Result
	exitCode   string
	exitStatus int
	statusText string
	run        *runState
	socket     *socketState    // a started socket unit's listeners
	accept     *acceptCounters // an Accept=yes socket's connections
	timer      *timerState
	path       *pathWatch // a started path unit's watches
	// TRIGGER_UNIT= and the like of the last unit that triggered this
	// one, kept (as systemd does) for later starts by hand too.
	activationEnv []string
	// Sockets a socket unit hands to the next start of this service.
	pendingListen []*os.File
	pendingNames  []string
	cond          condState // the last start's conditions and asserts
	// The start limit's window and a pending automatic restart.
	startWindow  startWindow
	restartTimer *time.Timer
	autoRestart  bool   // going down, to be restarted by Restart=
	reloadResult Result // how the last reload ended (ReloadResult=)
	restarts     restartCount
}

// newUnit builds a Unit from its loaded file.
func (m *Manager) newUnit(n unit.Name, f *unit.Unit) (*Unit, error) {
	k := m.kindFor(n.Type)
	if k == nil {
		return nil, fmt.Errorf("%w: unit type %s is not supported yet", errUnsupported, n.Type)
	}
	u := &Unit{name: n.String(), kind: k, file: f, active: stateInactive, sub: subDead,
		log: logstore.NewRing(200), loadState: loadLoaded, events: &m.events}
	u.transient = strings.HasPrefix(f.Fragment, filepath.Join(m.cfg.RuntimeDir, "transient")+"/")
	sp := m.specifiers(n)
	sp.Fragment = f.Fragment
	conf, warnings, err := unitconf.Parse(u.name, f.Options, sp.Expand)
	// The typed configuration is all that is read from here on; the raw
	// lines would cost each loaded unit their size a second time.
	f.Options = nil
	for _, w := range warnings {
		u.warnings = append(u.warnings, w.String())
	}
	if err != nil {
		// The warnings say why a unit is refused (a timer whose only
		// trigger did not parse): the caller logs them before the refusal.
		return u, err
	}
	u.conf = conf
	u.description = conf.Description()
	switch n.Type {
	case "service":
		u.svc = conf.Service
		u.slice = u.svc.Slice
		if u.slice == "" {
			u.slice = m.defaultSlice()
		}
	case "socket":
		u.sock = conf.Socket
		if socketRuns(u.sock) {
			u.svc, u.slice = unitconf.SocketExecContext(u.sock), m.defaultSlice()
		}
	case "slice":
		u.sliceRes = conf.Slice.Resources
	}
	return u, nil
}

// brokenUnit stands for a unit whose file could not be used.
func (m *Manager) brokenUnit(n unit.Name, f *unit.Unit, err error) *Unit {
	u := &Unit{name: n.String(), kind: m.kindFor(n.Type), file: f, description: n.String(), active: stateInactive,
		sub: subDead, log: logstore.NewRing(200), loadState: loadStateError, loadErr: err.Error(), events: &m.events}
	var ref *unitconf.Refused
	switch {
	case errors.Is(err, unit.ErrMasked):
		u.loadState, u.loadErr = loadMasked, maskedReason(u.name)
	case errors.As(err, &ref):
		// Read, but refused for what it sets: systemd's bad-setting.
		u.loadState = loadBadSetting
	}
	return u
}

func (m *Manager) defaultSlice() string {
	if m.cfg.Mode == User {
		return "app.slice"
	}
	return "system.slice"
}

// parentSlice returns "a-b.slice" for "a-b-c.slice", "" for top-level slices.
func parentSlice(name string) string {
	base := strings.TrimSuffix(name, ".slice")
	i := strings.LastIndex(base, "-")
	if i <= 0 || base == "-" {
		return ""
	}
	return base[:i] + ".slice"
}

// slicePath is the cgroup path of a slice below the base: a-b.slice lives
// in a.slice/a-b.slice.
func slicePath(name string) string {
	base := strings.TrimSuffix(name, ".slice")
	if base == "-" || base == "" {
		return ""
	}
	parts := strings.Split(base, "-")
	var out []string
	for i := range parts {
		out = append(out, strings.Join(parts[:i+1], "-")+".slice")
	}
	return strings.Join(out, "/")
}

func newInvocationID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start runs a start job for name and what it pulls in (a transaction
// in the job queue) and returns when the job is done; the error says why
// it did not end "done". Start is the engine's own request (socket
// activation, restarts, the boot unit): RefuseManualStart= does not apply.
func (m *Manager) Start(ctx context.Context, name string) (*Unit, error) {
	return m.startJob(ctx, name, job.Start, job.Replace, false)
}

func (m *Manager) startJob(ctx context.Context, name string, t job.Type, mode job.Mode, manual bool) (*Unit, error) {
	u, err := m.load(name)
	if err != nil {
		return nil, err
	}
	if u.loadState != loadLoaded {
		return u, m.badFileError(name, u.loadState, u.loadErr, len(u.warnings))
	}
	err = m.runJob(ctx, JobRequest{Unit: name, Type: t, Mode: mode, Manual: manual})
	// A reload may have forgotten u before the job was queued, which then
	// ran on the unit read again.
	m.mu.Lock()
	if cur := m.units[name]; cur != nil {
		u = cur
	}
	m.mu.Unlock()
	if err != nil {
		return u, fmt.Errorf("start %s: %w", name, err)
	}
	return u, nil
}

// beginJob waits for any job on u to finish and then claims u for a new
// one. It returns a nil channel when nothing is to be done.
func (m *Manager) beginJob(ctx context.Context, u *Unit, start bool) (chan struct{}, error) {
	for {
		m.mu.Lock()
		if m.stopping && start {
			m.mu.Unlock()
			return nil, fmt.Errorf("%w: manager is shutting down", errBusy)
		}
		if u.job != nil {
			ch := u.job
			m.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if start && u.active == stateActive {
			m.mu.Unlock()
			return nil, nil
		}
		// Stopping on its own (STOPPING=1): a start waits until it is dead,
		// as systemd's start job does, rather than run a second instance.
		if rs := u.run; start && u.active == stateDeactivating && rs != nil && !isClosed(rs.done) {
			m.mu.Unlock()
			select {
			case <-rs.done:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if !start && (u.active == stateInactive || u.active == stateFailed) {
			m.mu.Unlock()
			return nil, nil
		}
		ch := make(chan struct{})
		u.job = ch
		m.jobs++
		m.mu.Unlock()
		return ch, nil
	}
}

func (m *Manager) endJob(u *Unit, ch chan struct{}) {
	m.mu.Lock()
	u.job = nil
	m.settleConfigLocked(u)
	m.jobs--
	if m.cfg.Mode == User {
		m.scheduleTrim()
	}
	m.mu.Unlock()
	close(ch)
	m.collect(u)
}

// collect unloads units nobody needs: transient units and Accept=yes
// instances once they are dead.
func (m *Manager) collect(u *Unit) {
	m.mu.Lock()
	dead := u.job == nil && (u.active == stateInactive || (u.active == stateFailed && u.run != nil && u.run.collect))
	if m.queuedLocked(u.name) || len(m.timers.byTarget[u.name]) > 0 {
		dead = false // a started timer starts it again
	}
	transient, file, instance := u.transient, u.file, u.collectDead
	m.mu.Unlock()
	if !dead || !(transient || instance) {
		return
	}
	m.unload(u)
	if transient && file != nil {
		os.Remove(file.Fragment)
	}
}

// fail marks u failed with result.
func (m *Manager) fail(u *Unit, result Result) {
	m.mu.Lock()
	u.result = result
	u.setState(stateFailed, subFailed)
	m.mu.Unlock()
}

// Stop runs a stop job for name, and for what must stop with it, and
// returns when it is done.
func (m *Manager) Stop(ctx context.Context, name string) (*Unit, error) {
	return m.stopJob(ctx, name, job.Replace, false)
}

func (m *Manager) stopJob(ctx context.Context, name string, mode job.Mode, manual bool) (*Unit, error) {
	m.mu.Lock()
	u, ok := m.units[name]
	m.mu.Unlock()
	if !ok {
		if _, err := m.loader.Load(name); err != nil {
			if errors.Is(err, unit.ErrNotFound) {
				return nil, fmt.Errorf("%w: unit %s not loaded", errNoSuchUnit, name)
			}
			return nil, fmt.Errorf("stop %s: %w", name, err)
		}
		return nil, nil
	}
	if err := m.runJob(ctx, JobRequest{Unit: name, Type: job.Stop, Mode: mode, Manual: manual}); err != nil {
		return u, fmt.Errorf("stop %s: %w", name, err)
	}
	return u, nil
}

// ResetFailed returns a failed unit to inactive and forgets its result.
func (m *Manager) ResetFailed(name string) {
	m.mu.Lock()
	var us []*Unit
	for _, u := range m.units {
		if name != "" && u.name != name {
			continue
		}
		// As in systemd, reset-failed also lets the unit start again
		// at once, failed or not.
		u.startWindow = startWindow{}
		u.restarts = restartCount{}
		if u.active == stateFailed && u.job == nil {
			u.result = resultSuccess
			u.setState(stateInactive, subDead)
			us = append(us, u)
		}
	}
	m.mu.Unlock()
	for _, u := range us {
		m.collect(u)
	}
}

// ident names u in the manager's job messages: "NAME - DESCRIPTION", or
// the name alone when the unit has no description of its own.
func (u *Unit) ident() string { return condition.Ident(u.name, u.description) }

// jobLineLocked words a job's end message for unit name and stores it at
// once, attributed to the unit; the manager's stderr gets it from the
// runner.
func (m *Manager) jobLineLocked(name, format string, prio int) string {
	u := m.units[name]
	if u == nil {
		msg := fmt.Sprintf(format, name)
		m.store.Append(m.managerLine(nil, prio, msg))
		return msg
	}
	msg := fmt.Sprintf(format, u.ident())
	m.store.Append(m.managerLine(u, prio, msg))
	return msg
}
