package manager

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// A socket unit with ExecStartPre=, ExecStartPost=, ExecStopPre= or
// ExecStopPost= runs them as systemd 257 does: StartPre before the
// sockets are bound, StartPost once they listen, StopPre while they still
// listen, StopPost after they are closed; each a control process in the
// socket's own cgroup (SLICE/NAME.socket), started through the services'
// exec path (runHelper) with the unit's invocation ID and no LISTEN_*
// variables, bounded by TimeoutSec=. Such a unit carries a service
// configuration with the defaults for that path (u.svc); one without
// commands has none and needs no cgroup.

// errTimedOut marks a command that ran past its timeout.
var errTimedOut = errors.New("timed out")

// socketRuns reports whether s has commands to run.
func socketRuns(s *unitconf.Socket) bool {
	r := &s.SocketRun
	return len(r.ExecStartPre)+len(r.ExecStartPost)+len(r.ExecStopPre)+len(r.ExecStopPost) > 0
}

// startSocketUnit is a socket unit's start job.
func (m *Manager) startSocketUnit(ctx context.Context, u *Unit) error {
	if err := m.refuseUnloadedService(u); err != nil {
		return err
	}
	if u.svc == nil {
		if err := m.startSocket(u); err != nil {
			res := socketStartResult(err)
			m.logAt(u, logstore.PriorityWarning, "%s: Failed with result '%s'.", u.name, res)
			m.fail(u, res)
			return err
		}
		return nil
	}
	rs := &runState{invocation: newInvocationID(), ready: make(chan struct{}), done: make(chan struct{})}
	m.mu.Lock()
	u.run = rs
	u.invocation = rs.invocation
	u.logInvoc.Store(&rs.invocation)
	u.result, u.exitCode, u.exitStatus = resultSuccess, "", 0
	u.setState(stateActivating, subStartPre)
	m.mu.Unlock()
	m.logf(u, "Starting %s...", u.ident())
	release := m.throttle()
	err := m.prepare(u, rs)
	release()
	if err != nil {
		m.logTaskError(u, err)
		m.endSocketRun(u, rs, resultResources, false)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	if res, err := m.socketCommands(u, rs, u.sock.ExecStartPre, subStartPre, "Starting timed out. Terminating."); err != nil {
		// Nothing else runs, as in systemd 257.
		m.endSocketRun(u, rs, res, false)
		return fmt.Errorf("start %s: ExecStartPre: %w", u.name, err)
	}
	if err := m.startSocket(u); err != nil {
		m.socketStopRun(u, rs, socketStartResult(err), false)
		return err
	}
	m.mu.Lock()
	failed := u.active == stateFailed || u.active == stateInactive
	m.mu.Unlock()
	if failed {
		return fmt.Errorf("start %s: ExecStartPost: %w", u.name, errJobFailed)
	}
	return nil
}

// socketBound takes a socket unit whose listeners are bound to listening,
// running its ExecStartPost= first; a failing one stops it again (StopPre
// and StopPost still run, as in systemd 257).
func (m *Manager) socketBound(u *Unit, st *socketState) {
	m.mu.Lock()
	u.socket = st
	rs := u.run
	m.mu.Unlock()
	if u.svc != nil && rs != nil && len(u.sock.ExecStartPost) > 0 {
		if res, err := m.socketCommands(u, rs, u.sock.ExecStartPost, subStartPost, "Starting timed out. Stopping."); err != nil {
			m.socketStopRun(u, rs, res, false)
			return
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	m.mu.Lock()
	u.setState(stateActive, subListening)
	m.mu.Unlock()
	m.logf(u, "Listening on %s.", u.ident())
	go m.watchSocket(ctx, u, st)
}

// stopSocketUnit is a socket unit's stop job.
func (m *Manager) stopSocketUnit(u *Unit) {
	m.mu.Lock()
	rs := u.run
	running := u.svc != nil && rs != nil && !isClosed(rs.done)
	m.mu.Unlock()
	if !running {
		m.stopSocket(u)
		if rs != nil && rs.cgroup != "" && !isClosed(rs.done) {
			// A reload took the commands away while the unit ran: only
			// their (empty) cgroup is left to remove.
			if err := m.cfg.Cgroups.RemoveTree(rs.cgroup); err != nil {
				m.logf(u, "%s: remove cgroup: %v", u.name, err)
			}
			close(rs.done)
		}
		return
	}
	m.logf(u, "Stopping %s...", u.ident())
	m.socketStopRun(u, rs, resultSuccess, true)
}

// socketStopRun runs ExecStopPre=, closes the sockets, runs ExecStopPost=
// and ends the invocation with result, or with the first command's
// failure; "Closed" is logged for a stop job (byJob) only.
func (m *Manager) socketStopRun(u *Unit, rs *runState, result Result, byJob bool) {
	if res, err := m.socketCommands(u, rs, u.sock.ExecStopPre, subStopPre, "Stopping timed out. Terminating."); err != nil && result == resultSuccess {
		result = res
	}
	m.mu.Lock()
	st := u.socket
	u.socket = nil
	m.mu.Unlock()
	if st != nil {
		st.close(u.sock)
	}
	if res, err := m.socketCommands(u, rs, u.sock.ExecStopPost, subStopPost, "Stopping timed out (2). Terminating."); err != nil && result == resultSuccess {
		result = res
	}
	m.endSocketRun(u, rs, result, byJob)
}

// endSocketRun ends a socket unit's invocation: what its commands left is
// killed, its cgroup removed, and the unit is inactive or failed.
func (m *Manager) endSocketRun(u *Unit, rs *runState, result Result, byJob bool) {
	m.killAll(u, rs)
	m.release(u, rs)
	if result != resultSuccess {
		m.logAt(u, logstore.PriorityWarning, "%s: Failed with result '%s'.", u.name, result)
	}
	m.settleResult(u, result)
	if byJob {
		m.logf(u, "Closed %s.", u.ident())
	}
	close(rs.done)
}

// socketCommands runs one phase's commands in order, the unit in sub
// meanwhile; the first failure ends the phase with the result it gives.
func (m *Manager) socketCommands(u *Unit, rs *runState, cmds []unit.Command, sub SubState, timedOut string) (Result, error) {
	if len(cmds) == 0 {
		return resultSuccess, nil
	}
	m.mu.Lock()
	switch sub {
	case subStartPre, subStartPost:
		u.setState(stateActivating, sub)
	default:
		u.setState(stateDeactivating, sub)
	}
	m.mu.Unlock()
	for _, c := range cmds {
		var fired atomic.Bool
		stop := m.controlTimeout(u, rs, u.sock.Timeout, timedOut, &fired)
		err := m.runHelper(context.Background(), u, rs, c, 0)
		stop()
		switch {
		case fired.Load():
			// A command that ran out of time fails its phase even with
			// the "-" prefix, as in systemd 257.
			return resultTimeout, fmt.Errorf("%s: %w after %s", c.Path, errTimedOut, u.sock.Timeout)
		case err != nil:
			return resultExitCode, err
		}
	}
	return resultSuccess, nil
}

// controlTimeout ends the running command of rs once d passed as systemd
// 257 ends a socket's: the line saying so, SIGTERM, and SIGKILL should it
// still run after another d. fired tells the caller it happened; stop
// disarms it.
func (m *Manager) controlTimeout(u *Unit, rs *runState, d time.Duration, msg string, fired *atomic.Bool) (stop func()) {
	if d <= 0 {
		return func() {}
	}
	signal := func(sig syscall.Signal) {
		m.mu.Lock()
		p := rs.control
		m.mu.Unlock()
		if p != nil && !p.HasExited() {
			p.Signal(sig)
		}
	}
	var mu sync.Mutex
	var kill *time.Timer
	term := time.AfterFunc(d, func() {
		fired.Store(true)
		m.logAt(u, logstore.PriorityWarning, "%s: %s", u.name, msg)
		signal(syscall.SIGTERM)
		mu.Lock()
		kill = time.AfterFunc(d, func() { signal(syscall.SIGKILL) })
		mu.Unlock()
	})
	return func() {
		term.Stop()
		mu.Lock()
		if kill != nil {
			kill.Stop()
		}
		mu.Unlock()
	}
}

// socketDoneMessage words a failed start of a socket unit as systemd 257
// does ("Failed to listen on X.").
func socketDoneMessage(name, msg string) string {
	if msg == "Failed to start %s." && strings.HasSuffix(name, ".socket") {
		return "Failed to listen on %s."
	}
	return msg
}

// socketRunPropertiesLocked are what show prints of a socket unit's
// commands' runs: its slice and cgroup, the command running, and each
// command's last run. Callers hold m.mu.
func (m *Manager) socketRunPropertiesLocked(u *Unit) []Property {
	slice := u.slice
	if slice == "" {
		slice = m.defaultSlice()
	}
	out := []Property{{"Slice", slice}}
	rs := u.run
	if u.svc == nil || rs == nil {
		return out
	}
	cg, control := "", 0
	if u.active != stateInactive && u.active != stateFailed {
		cg = "/" + strings.TrimPrefix(rs.cgroup, "/")
	}
	if rs.control != nil && !rs.control.HasExited() {
		control = rs.control.PID
	}
	out = append(out, Property{"ControlGroup", cg}, Property{"ControlPID", strconv.Itoa(control)})
	return append(out, execPropertiesLocked(u)...)
}
