package manager

import (
	"context"
	"errors"
	"github.com/capsuled/capsuled/internal/logstore"
	"io/fs"
	"syscall"
	"time"

	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/process"
)

// The kill phases of a stop, as systemd.kill(5) describes them and
// systemd 257 runs them: the stop signal (KillSignal=, RestartKillSignal=
// for a restart, followed by SIGHUP with SendSIGHUP=yes) goes to the
// processes KillMode= names; whoever is left when TimeoutStopSec= is up
// gets FinalKillSignal= (SIGKILL) unless SendSIGKILL=no. A stop that times
// out takes the timeout once: the final signal ends it.

// stopSignal is the signal that stops u now: RestartKillSignal= when the
// stop is half of a restart, else KillSignal=.
func (m *Manager) stopSignal(u *Unit) syscall.Signal {
	m.mu.Lock()
	restart := false
	if m.q != nil {
		j, ok := m.q.UnitJob(u.name)
		restart = ok && j.Type == job.Restart
	}
	m.mu.Unlock()
	if restart {
		return syscall.Signal(u.svc.RestartSignal())
	}
	return syscall.Signal(u.svc.KillSignal)
}

// signalStop sends sig to what KillMode= names and waits up to timeout (0:
// for ever) for it to end: the main process (mixed, process) or the whole
// cgroup (control-group). state names the phase in the log
// ("stop-sigterm"). It reports whether the phase timed out, which is the
// unit's Result=timeout; then FinalKillSignal= has been sent, unless
// SendSIGKILL=no.
func (m *Manager) signalStop(ctx context.Context, u *Unit, rs *runState, p *process.Process, sig syscall.Signal, timeout time.Duration, state string) bool {
	svc := u.svc
	mode := svc.KillMode
	if mode == "none" {
		return false
	}
	h := m.cfg.Cgroups
	send := func(sig syscall.Signal, all bool) {
		if all && rs.cgroup != "" {
			h.Signal(rs.cgroup, sig, true)
		} else if p != nil {
			p.Signal(sig)
		}
	}
	all := mode == "control-group"
	send(sig, all)
	if svc.SendSIGHUP && sig != syscall.SIGHUP {
		send(syscall.SIGHUP, all)
	}
	if m.waitGone(ctx, rs, p, all, timeout) {
		return false
	}
	if !svc.SendSIGKILL {
		m.logAt(u, logstore.PriorityWarning, "%s: State '%s' timed out. Skipping SIGKILL.", u.name, state)
		return true
	}
	m.logAt(u, logstore.PriorityWarning, "%s: State '%s' timed out. Killing.", u.name, state)
	// The final signal goes to the whole cgroup under mixed too.
	all = mode != "process"
	send(syscall.Signal(svc.FinalKillSignal), all)
	if !m.waitGone(ctx, rs, p, all, timeout) {
		m.logAt(u, logstore.PriorityWarning, "%s: Processes still around after final SIGKILL. Entering failed mode.", u.name)
	}
	return true
}

// waitGone waits up to timeout (0: no limit) until the main process p has
// exited and, with all, rs's cgroup is empty. It reports whether they
// are gone.
func (m *Manager) waitGone(ctx context.Context, rs *runState, p *process.Process, all bool, timeout time.Duration) bool {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if p != nil {
		select {
		case <-p.Exited():
		case <-ctx.Done():
			return false
		}
	}
	if !all || rs.cgroup == "" {
		return true
	}
	err := m.cfg.Cgroups.WaitEmpty(ctx, rs.cgroup)
	return err == nil || errors.Is(err, fs.ErrNotExist)
}

// killAll ends whatever is left in the unit's cgroup: systemd's
// final-sigterm and final-sigkill phases, bounded by grace. Then, whatever
// KillMode= and SendSIGKILL= say, cgroup.kill ends the whole tree and the
// kernel's populated flag, not a list of processes, says when it is
// empty: a tree can be built that no list covers, and nothing may outlive
// the invocation's user.
func (m *Manager) killAll(u *Unit, rs *runState) {
	if rs.cgroup == "" {
		return
	}
	h := m.cfg.Cgroups
	pop, err := h.Populated(rs.cgroup)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !pop) {
		return
	}
	svc := u.svc
	d := grace(svc.TimeoutStop)
	empty := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		if h.WaitEmpty(ctx, rs.cgroup) == nil {
			m.cfg.Spawner.Reap()
			return true
		}
		return false
	}
	final := func() bool {
		if !svc.SendSIGKILL {
			return false
		}
		h.Signal(rs.cgroup, syscall.Signal(svc.FinalKillSignal), true)
		return empty()
	}
	switch svc.KillMode {
	case "control-group":
		h.Signal(rs.cgroup, syscall.Signal(svc.KillSignal), true)
		if svc.SendSIGHUP && svc.KillSignal != int(syscall.SIGHUP) {
			h.Signal(rs.cgroup, syscall.SIGHUP, true)
		}
		if empty() {
			return
		}
		if !svc.SendSIGKILL {
			m.logAt(u, logstore.PriorityWarning, "%s: State 'final-sigterm' timed out. Skipping SIGKILL. Entering failed mode.", u.name)
		} else {
			m.logAt(u, logstore.PriorityWarning, "%s: State 'final-sigterm' timed out. Killing.", u.name)
		}
		if final() {
			return
		}
	case "mixed":
		// The rest of the cgroup gets the final signal at once.
		if final() {
			return
		}
	}
	switch {
	case svc.KillMode == "none" || svc.KillMode == "process":
		m.logf(u, "%s: processes left in the unit's cgroup after stop (KillMode=%s), killing them.", u.name, svc.KillMode)
	case !svc.SendSIGKILL:
		m.logf(u, "%s: processes left in the unit's cgroup after stop (SendSIGKILL=no), killing them.", u.name)
	}
	if err := h.Kill(rs.cgroup); err != nil {
		m.logf(u, "%s: kill remaining processes: %v", u.name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.WaitEmpty(ctx, rs.cgroup); err != nil {
		m.logf(u, "%s: cgroup not empty after SIGKILL: %v", u.name, err)
	}
	// Killed orphans are our children now; do not leave them as zombies.
	m.cfg.Spawner.Reap()
}

// grace bounds how long left-over processes get after the stop signal.
func grace(timeout time.Duration) time.Duration {
	if timeout <= 0 || timeout > 5*time.Second {
		return 5 * time.Second
	}
	return timeout
}
