// Package manager is the unit engine shared by the system manager and the
// capsule (user mode) managers: it loads units, runs jobs and tracks the
// state of services, targets and slices.
package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/capsuled/capsuled/internal/cgroup"
	"github.com/capsuled/capsuled/internal/dynuser"
	"github.com/capsuled/capsuled/internal/escape"
	"github.com/capsuled/capsuled/internal/fstree"
	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/process"
	"github.com/capsuled/capsuled/internal/unit"
)

// Mode says which kind of manager this is.
type Mode int

const (
	// System is the root manager of the host (capsuled --system).
	System Mode = iota
	// User is a per-capsule manager running as the capsule's user.
	User
)

func (m Mode) String() string {
	if m == System {
		return "system"
	}
	return "user"
}

// Version is reported by GetManager.
const Version = "0.1.0"

// Config holds everything a Manager depends on.
type Config struct {
	Mode Mode
	// Capsule is the capsule name in user mode.
	Capsule string
	// RuntimeDir holds the control socket, the notify socket and transient
	// unit files (/run/capsuled, or $XDG_RUNTIME_DIR/capsuled).
	RuntimeDir string
	// UnitPaths are searched in order; Builtin after them.
	UnitPaths []string
	// ConfigDir is where enable and disable put their links; it should be
	// one of UnitPaths.
	ConfigDir string
	// RuntimeConfigDir is where mask --runtime and edit --runtime write;
	// it should be one of UnitPaths, after ConfigDir.
	RuntimeConfigDir string
	Builtin          fs.FS
	Cgroups          cgroup.Hierarchy
	// CgroupBase is the cgroup (relative to Cgroups.Root) below which all
	// slices and units live.
	CgroupBase string
	// TreeLimits bound the sub-cgroups a unit with Delegate= may
	// create when its cgroup is handed to another user.
	TreeLimits cgroup.TreeLimits
	// Users allocates dynamic users (system mode only).
	Users *dynuser.Allocator
	// Exe is the manager binary, re-executed as executor.
	Exe string
	// Spawner starts the units' processes; nil means real processes
	// (process.NewLocal(Exe)).
	Spawner process.Spawner
	// BinDir, if set, is searched for bare command names before PATH.
	BinDir string
	// Log receives the manager's own log lines.
	Log io.Writer
	// Env is the base environment of every unit.
	Env []string
	// Home is the default working directory of units in user mode.
	Home string
	// Roots of the exec directory kinds; empty means the standard paths.
	Roots map[dirType]string
	// Hostname is shown in log lines.
	Hostname string
	// TmpfsSize bounds each tmpfs a sandboxed unit can write to (private
	// /tmp, /var/tmp, /dev/shm, a dynamic user's runtime directory) unless
	// the unit sets TmpfsSize=; 0 means DefaultTmpfsSize.
	TmpfsSize uint64
	// MemoryV1, PidsV1 and DevicesV1 are the cgroup v1 hierarchies of
	// those controllers on a hybrid host (system mode), nil where there
	// are none.
	MemoryV1, PidsV1, DevicesV1 *cgroup.V1
	// Fstab lists the file systems RequiresMountsFor= waits for; ""
	// is /etc/fstab.
	Fstab string
	// LogDir keeps the manager's log across restarts; "" keeps it in
	// memory only. LogMaxFileSize and LogMaxFiles bound it (0: defaults).
	LogDir         string
	LogMaxFileSize int64
	LogMaxFiles    int
	// JournalSocket, if set and present, is the host's journald socket
	// the log is forwarded to as well.
	JournalSocket string
}

// Manager is one instance of the unit engine.
type Manager struct {
	cfg    Config
	loader *unit.Loader

	mu       sync.Mutex
	units    map[string]*Unit
	jobs     int
	state    string
	since    time.Time
	stopping bool
	// loading counts requests between loading their units and installing
	// their jobs; while any is, no unit is forgotten (see pinLoads).
	loading int

	notify     *net.UnixConn
	notifyR    *notifyReader
	store      *logstore.Store
	idmapCache map[string]bool
	landlock   landlockProbe
	trim       *time.Timer // returns memory to the system once idle
	// jobSinceHangup: a job ended since the last client hung up.
	jobSinceHangup bool
	// freeOSMemory is the trim itself (trimHeap).
	freeOSMemory func()
	hooks        hooks
	events       feed // every unit's state changes
	bus          busState
	timers       timerIndex
	paths        pathRegistry
	envBlock     envBlock
	specFacts    specFacts
	engineState
}

// New creates a manager; Run makes it serve.
func New(cfg Config) (*Manager, error) {
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if cfg.Roots == nil {
		cfg.Roots = map[dirType]string{dirRuntime: "/run", dirState: "/var/lib", dirCache: "/var/cache",
			dirLogs: "/var/log", dirConfig: "/etc"}
	}
	if cfg.TmpfsSize == 0 {
		n, err := TmpfsSize(DefaultTmpfsSize)
		if err != nil {
			return nil, err
		}
		cfg.TmpfsSize = n
	}
	if cfg.Spawner == nil {
		cfg.Spawner = process.NewLocal(cfg.Exe)
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	paths := append([]string{filepath.Join(cfg.RuntimeDir, "transient")}, cfg.UnitPaths...)
	m := &Manager{
		cfg:          cfg,
		loader:       &unit.Loader{Paths: paths, Builtin: cfg.Builtin},
		units:        map[string]*Unit{},
		state:        "initializing",
		since:        time.Now(),
		freeOSMemory: trimHeap,
	}
	if err := m.openStore(); err != nil {
		return nil, err
	}
	m.initEngine()
	return m, nil
}

// logf writes a manager log line at info level, attributed to u when it
// is not nil.
func (m *Manager) logf(u *Unit, format string, args ...any) {
	m.logAt(u, logstore.PriorityInfo, format, args...)
}

// logAt is logf at syslog level prio, the one systemd logs the line at.
func (m *Manager) logAt(u *Unit, prio int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	m.store.Append(m.managerLine(u, prio, msg))
	m.printLog(msg)
}

// printLog writes msg to the manager's stderr. Messages quote names and
// errors a capsule controls; the manager's stderr may be a root terminal.
func (m *Manager) printLog(msg string) {
	fmt.Fprintln(m.cfg.Log, escape.Text(msg))
}

// managerLine is a line of the manager's own, about u if not nil.
func (m *Manager) managerLine(u *Unit, prio int, msg string) logstore.Line {
	l := logstore.Line{Time: time.Now(), Ident: "capsuled", PID: os.Getpid(), Priority: prio,
		Message: msg}
	if u != nil {
		l.Unit, l.Manager = u.name, true
		if id := u.logInvoc.Load(); id != nil {
			l.Invoc = *id
		}
	}
	return l
}

// unitLog records lines a unit's process wrote (those of one read), each
// at the level its "<N>" prefix gives unless SyslogLevelPrefix=no. Output
// of a unit that runs under a dynamic user (a capsule) is kept only in the
// unit's memory, which clean --what=logs empties: stored in the manager's
// log it would outlive the capsule (whose own manager keeps its log in its
// home). The batch is stored and echoed with one write each.
func (m *Manager) unitLog(u *Unit, invocation string, pid int, ident string, msgs []string) {
	now := time.Now()
	lines := make([]logstore.Line, len(msgs))
	for i, msg := range msgs {
		prio := logstore.PriorityInfo
		if u.svc == nil || !u.svc.NoLevelPrefix {
			msg, prio = logstore.ParsePrefix(msg, prio)
		}
		lines[i] = logstore.Line{Time: now, Unit: u.name, Ident: ident, PID: pid, Priority: prio,
			Invoc: invocation, Message: msg}
	}
	if u.svc != nil && u.svc.DynamicUser {
		for _, l := range lines {
			u.log.Add(l)
		}
		return
	}
	m.store.AppendLines(lines)
	prefix := escape.Text(ident) + "[" + strconv.Itoa(pid) + "]: "
	var echo []byte
	for _, l := range lines {
		echo = append(echo, prefix...)
		echo = append(echo, escape.Text(l.Message)...)
		echo = append(echo, '\n')
	}
	m.cfg.Log.Write(echo)
}

// Open creates the runtime directory and the notify socket; the control
// socket beside them is the faces' (internal/control).
func (m *Manager) Open() error {
	// Transient units end with the manager that made them; files a
	// crashed predecessor left would otherwise load as units again. In a
	// capsule this directory is the capsule's own, of whatever shape.
	transient := filepath.Join(m.cfg.RuntimeDir, "transient")
	if err := fstree.RemoveAll(transient); err != nil {
		return fmt.Errorf("remove transient units of a previous instance: %w", err)
	}
	if err := os.MkdirAll(transient, 0o755); err != nil {
		return fmt.Errorf("create runtime directory: %w", err)
	}
	if err := m.cfg.Spawner.Supervise(); err != nil {
		return err
	}
	if err := m.resetNotifyDir(); err != nil {
		return err
	}
	// Units in this manager are spawned from our notify socket only.
	nconn, err := listenNotify(filepath.Join(m.cfg.RuntimeDir, "notify"))
	if err != nil {
		return err
	}
	m.notify = nconn
	m.notifyR = newNotifyReader(nconn, nil)
	go m.readNotify()
	return nil
}

// SetState records the manager's overall state.
func (m *Manager) SetState(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state = s
}

// State returns running or degraded once start-up is over.
func (m *Manager) State() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != "running" {
		return m.state
	}
	for _, u := range m.units {
		if u.active == stateFailed {
			return "degraded"
		}
	}
	return m.state
}

// Shutdown stops every unit in one go, as systemd's shutdown transaction
// does: stop jobs run in the inverse of the units' ordering (a service
// before its slice and the targets it is After=, a socket after its
// service), units without ordering between them in parallel. Then it
// closes the notify socket.
func (m *Manager) Shutdown(ctx context.Context) {
	m.mu.Lock()
	m.stopping = true
	m.state = "stopping"
	m.mu.Unlock()
	// A unit a job started meanwhile (OnFailure=, say) is stopped in the
	// next round; three are plenty.
	for round := 0; round < 3; round++ {
		if !m.stopAll(ctx) {
			break
		}
	}
	if m.notify != nil {
		m.notify.Close()
	}
	os.Remove(filepath.Join(m.cfg.RuntimeDir, "notify"))
	fstree.RemoveAll(m.notifyDir())
	m.removeV1Bases()
}

// stopAll queues a stop job for every unit that is not inactive and waits
// for them; it reports whether there was any.
func (m *Manager) stopAll(ctx context.Context) bool {
	var names []string
	for _, u := range m.snapshot() {
		m.mu.Lock()
		busy := !u.active.isInactiveOrFailed() || u.job != nil
		m.mu.Unlock()
		if busy {
			names = append(names, u.name)
		}
	}
	if len(names) == 0 {
		return false
	}
	// All jobs are installed before the runner looks at any, so their
	// ordering holds among them.
	var waits []func(context.Context) (job.Result, error)
	m.mu.Lock()
	m.ensureRunnerLocked()
	for _, n := range names {
		res, err := m.q.Enqueue(job.Request{Unit: n, Type: job.Stop, Mode: job.Replace})
		m.absorbLocked(res.Effects)
		if err != nil {
			m.logs = append(m.logs, fmt.Sprintf("%s: stop at shutdown refused: %v", n, err))
			continue
		}
		waits = append(waits, m.waitLocked(res.Anchor.ID))
	}
	m.mu.Unlock()
	m.kick()
	for _, w := range waits {
		w(ctx)
	}
	// Actions still running on units (a main process's own end) finish
	// before the manager goes.
	for _, u := range m.snapshot() {
		release := m.holdUnit(u)
		release()
	}
	return true
}

// errNoSuchUnit wraps lookups of units that have no file.
var errNoSuchUnit = errors.New("no such unit")

// errBusy is returned for operations refused because of the unit's state.
var errBusy = errors.New("unit busy")

// errUnsupported marks unit types this manager cannot run yet.
var errUnsupported = errors.New("unsupported")

// errInvalid marks bad input from a caller.
var errInvalid = errors.New("invalid argument")

// load returns the unit, loading its file on first use.
func (m *Manager) load(name string) (*Unit, error) {
	n, err := unit.ParseName(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errInvalid, err)
	}
	if n.IsTemplate() {
		return nil, fmt.Errorf("%w: unit name %s is a template; name an instance such as %s", errInvalid,
			name, strings.Replace(name, "@.", "@NAME.", 1))
	}
	switch n.Type {
	case "service", "socket", "target", "slice", "timer", "path":
	default:
		return nil, fmt.Errorf("%s: %w: unit type %s is not supported yet", name, errUnsupported, n.Type)
	}
	if m.cfg.Mode == System && n.Prefix == "capsule" && n.Type == "service" && n.IsInstance() {
		// capsule@NAME.service is an ordinary template, but its instance
		// becomes a user name and file names: refuse bad ones up front.
		if err := dynuser.ValidCapsuleName(n.Instance); err != nil {
			return nil, fmt.Errorf("%w: %v", errInvalid, err)
		}
	}
	m.mu.Lock()
	u, ok := m.units[name]
	m.mu.Unlock()
	if ok {
		return u, nil
	}
	if target, ok := m.loader.Alias(name); ok && target != name {
		// A dependency on an alias is one on the unit itself, as in
		// systemd, which merges a unit's names into one unit.
		return m.load(target)
	}
	u, err = m.read(n)
	if err != nil {
		return nil, err
	}
	m.logLoad(u)
	m.mu.Lock()
	defer m.mu.Unlock()
	if existing, ok := m.units[name]; ok {
		return existing, nil
	}
	m.units[name] = u
	m.graph.add(u)
	return u, nil
}

// unload forgets a unit that is inactive and not needed any more. While a
// request is loading units it keeps them, as one may be among them; a dead
// transient unit goes anyway (its file is gone), and so does an Accept=yes
// instance (its name is its connection's, nobody else's).
func (m *Manager) unload(u *Unit) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.units[u.name] == u && u.job == nil && !m.queuedLocked(u.name) && (m.loading == 0 || u.transient || u.collectDead) {
		delete(m.units, u.name)
		m.graph.remove(u.name)
	}
}

// queuedLocked reports whether a job of the queue is for name; such a
// unit stays loaded until it has run.
func (m *Manager) queuedLocked(name string) bool {
	if m.q == nil {
		return false
	}
	_, ok := m.q.UnitJob(name)
	return ok
}

func (m *Manager) snapshot() []*Unit {
	m.mu.Lock()
	defer m.mu.Unlock()
	us := make([]*Unit, 0, len(m.units))
	for _, u := range m.units {
		us = append(us, u)
	}
	sort.Slice(us, func(i, j int) bool { return us[i].name < us[j].name })
	return us
}
