package manager

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ManagerStatus describes the running manager.
type ManagerStatus struct {
	State        string // initializing, starting, running, degraded, stopping
	Mode         Mode
	Capsule      string
	Version      string
	PID          int
	ControlGroup string
	Units        int
	Jobs         int
	Failed       int
	Since        time.Time
}

// Process is one process in a unit's cgroup.
type Process struct {
	PID     int
	Command string // its command line; empty when it cannot be read
	Comm    string // its name, as /proc/PID/comm gives it
	// Cgroup is the process's cgroup relative to the unit's.
	Cgroup string
}

// UnitStatus is a snapshot of one unit's state.
type UnitStatus struct {
	Name          string
	Description   string
	LoadState     string
	LoadError     string
	ActiveState   string
	SubState      string
	Fragment      string
	DropIns       []string
	Transient     bool
	NeedReload    bool   // only in full status: its files changed since they were read
	UnitFileState string // only in full status
	InvocationID  string
	MainPID       int
	ExecMainPID   int // the last main process, also once it has exited
	StatusText    string
	ControlGroup  string
	Processes     []Process // only in full status
	ProcsError    string    // why Processes may be incomplete
	StateChange   time.Time
	Result        string
	ExitCode      string // exited, killed, dumped
	ExitStatus    int
	User          string
	UID           int
	Log           []string      // only in full status, when asked for
	Execs         []ExecRun     // only in full status: the last invocation's ended commands
	Conditions    ConditionInfo // only in full status: the last start's checks
	// Only in full status: the units this one triggers and is triggered
	// by, and a timer's next elapse (zero: none).
	Triggers, TriggeredBy []string
	// TriggeredByStates are the ActiveState of each TriggeredBy unit.
	TriggeredByStates []string
	TimerNext         time.Time
	// Only in full status: an Accept=yes socket's connections, nil for
	// other units.
	Accept *AcceptStatus
	Listen []string // only in full status: a socket's listeners
}

// Mode says whether this is the system manager or a capsule's.
func (m *Manager) Mode() Mode { return m.cfg.Mode }

// RuntimeDir is the manager's runtime directory, where the control socket
// belongs.
func (m *Manager) RuntimeDir() string { return m.cfg.RuntimeDir }

// Status describes the manager.
func (m *Manager) Status() ManagerStatus {
	st := m.State()
	m.mu.Lock()
	defer m.mu.Unlock()
	failed := 0
	for _, u := range m.units {
		if u.active == stateFailed {
			failed++
		}
	}
	return ManagerStatus{State: st, Mode: m.cfg.Mode, Capsule: m.cfg.Capsule, Version: Version,
		PID: os.Getpid(), ControlGroup: m.cfg.CgroupBase, Units: len(m.units), Jobs: m.jobs,
		Failed: failed, Since: m.since}
}

// LoadedUnits is how many units are loaded.
func (m *Manager) LoadedUnits() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.units)
}

// Units lists the loaded units by name, in their brief form.
func (m *Manager) Units() []UnitStatus {
	var out []UnitStatus
	for _, u := range m.snapshot() {
		out = append(out, m.Summary(u))
	}
	return out
}

// UnitStatus describes the named unit, loading it if need be (like
// systemctl status, a unit with a file shows as inactive). Brief gives what
// Summary gives; otherwise the unit file state, the processes and lines of
// log (when lines > 0) are added.
func (m *Manager) UnitStatus(name string, lines int, brief bool) (UnitStatus, error) {
	m.mu.Lock()
	u, ok := m.units[name]
	m.mu.Unlock()
	if !ok {
		var err error
		if u, err = m.load(name); err != nil {
			return UnitStatus{}, err
		}
		defer m.collectIdle(u)
	}
	if brief {
		return m.Summary(u), nil
	}
	return m.status(u, lines), nil
}

// collectIdle forgets a unit that was loaded only to be shown.
func (m *Manager) collectIdle(u *Unit) {
	m.mu.Lock()
	idle := u.job == nil && u.active == stateInactive && u.run == nil
	m.mu.Unlock()
	if idle {
		m.unload(u)
	}
}

// status describes u; lines > 0 includes that many log lines.
func (m *Manager) status(u *Unit, lines int) UnitStatus {
	s := m.Summary(u)
	s.Conditions, _ = m.Conditions(u.name)
	m.triggerStatus(u, &s)
	s.UnitFileState = "static"
	s.NeedReload = m.needDaemonReload(u)
	m.mu.Lock()
	if u.run != nil {
		s.Execs = execRunsLocked(u.run)
	}
	s.Accept = acceptStatusLocked(u)
	m.mu.Unlock()
	if u.loadState == loadLoaded {
		if st, err := m.UnitFileState(u.name); err == nil {
			s.UnitFileState = st
		}
	}
	if cg := s.ControlGroup; cg != "" {
		// The walk reads each cgroup.procs relative to directory
		// descriptors, so it also reaches sub-cgroups nested beyond
		// PATH_MAX; should it fail, what it found is shown with the error.
		procs, err := m.cfg.Cgroups.Procs(cg)
		for _, p := range procs {
			cmd, comm := cmdline(p.PID)
			s.Processes = append(s.Processes, Process{PID: p.PID, Command: cmd, Comm: comm, Cgroup: p.Cgroup})
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.ProcsError = err.Error()
		}
	}
	if lines > 0 {
		for _, l := range m.unitTail(u, lines) {
			s.Log = append(s.Log, l.Format(m.cfg.Hostname))
		}
	}
	return s
}

// Summary is what status knows without reading files or /proc: enough for
// list-units and job replies, which would otherwise redo that per unit.
func (m *Manager) Summary(u *Unit) UnitStatus {
	m.mu.Lock()
	c, l := u.shownLocked()
	s := UnitStatus{Name: u.name, Description: c.description, LoadState: l.loadState.String(), LoadError: l.loadErr,
		ActiveState: u.active.String(), SubState: u.sub.String(), Transient: u.transient,
		InvocationID: u.invocation, StatusText: u.statusText, Result: u.result.String(), ExitCode: u.exitCode,
		ExitStatus: u.exitStatus, StateChange: sinceOf(u.active, u.stamps)}
	if l.file != nil {
		s.Fragment, s.DropIns = l.file.Fragment, l.file.DropIns
	}
	rs := u.run
	if rs != nil && rs.main != nil {
		s.ExecMainPID = rs.main.PID
	}
	var cg string
	if rs != nil && u.active != stateInactive && u.active != stateFailed {
		if rs.main != nil && !rs.main.HasExited() {
			s.MainPID = rs.main.PID
		}
		cg = rs.cgroup
		s.User, s.UID = rs.userName, rs.uid
	}
	if _, slice := u.kind.(sliceKind); slice && u.active == stateActive {
		cg = m.cgroupPath(u)
	}
	m.mu.Unlock()
	s.ControlGroup = cg
	return s
}

// cmdline reads a process's command line and name for display; an empty
// command line (a zombie's) shows its name in brackets. Both are empty
// where this manager cannot see the process (in a capsule, one that
// made itself non-dumpable: its /proc entry is root's, hidden).
func cmdline(pid int) (cmd, comm string) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	c, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err == nil {
		comm = strings.TrimSuffix(string(c), "\n")
	}
	b, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err == nil && len(b) > 0 {
		return strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " "), comm
	}
	if comm != "" {
		return "[" + comm + "]", comm
	}
	return "", ""
}

// reloadCommand is the command line that reloads this manager, for hints.
// A capsule's name is checked at start and needs no quoting.
func (m *Manager) reloadCommand() string {
	return m.ctlCommand() + " daemon-reload"
}

// ctlCommand is how to reach this manager from the host.
func (m *Manager) ctlCommand() string {
	if m.cfg.Mode == User && m.cfg.Capsule != "" {
		return "capsulectl -C " + m.cfg.Capsule
	}
	return "capsulectl"
}

// maskedReason is why a masked unit (linked to /dev/null, or an empty
// file) is not loaded, in systemd 257's words.
func maskedReason(name string) string { return fmt.Sprintf("Unit %s is masked.", name) }

// badFileError refuses a job for a unit that did not load: the reason,
// where the lines ignored before it are (a refusal often follows from
// them: OnCalendar=dialy leaves a timer with no trigger), and the fix. A
// masked unit has nothing to fix: it is refused as systemd 257 refuses
// it, "Unit X is masked.".
func (m *Manager) badFileError(name string, state LoadState, loadErr string, warnings int) error {
	if state == loadMasked {
		return worded(errInvalid, "%s", loadErr)
	}
	more := ""
	if warnings > 0 {
		more = fmt.Sprintf("; %d line(s) ignored before it: see %s status %s", warnings, m.ctlCommand(), name)
	}
	if _, err := os.Stat(filepath.Join(m.cfg.RuntimeDir, "transient", name)); err == nil {
		// Made by run from its options: no file to fix and reload.
		return fmt.Errorf("%w: transient unit %s was refused (%s%s); change the options given to run", errInvalid, name, loadErr, more)
	}
	return fmt.Errorf("%w: unit %s has a bad unit file (%s%s); fix it, then run %s", errInvalid, name, loadErr, more, m.reloadCommand())
}

// sinceOf is when a unit entered the state status shows, as systemctl
// picks it: ActiveEnterTimestamp for an active unit, InactiveEnter for an
// inactive or failed one, InactiveExit while activating, ActiveExit while
// deactivating. A change of sub-state alone (running to exited) does not
// move it.
func sinceOf(a ActiveState, st stateStamps) time.Time {
	switch a {
	case stateActive, stateReloading:
		return st.activeEnter.wall
	case stateInactive, stateFailed:
		return st.inactiveEnter.wall
	case stateActivating:
		return st.inactiveExit.wall
	default:
		return st.activeExit.wall
	}
}
