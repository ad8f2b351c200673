package manager

import (
	"context"
	"errors"
	"time"

	"github.com/capsuled/capsuled/internal/job"
)

// Restart= values and the results they restart on. A clean exit (status
// 0, or SIGHUP, SIGINT, SIGTERM, SIGPIPE) has result "success".
var restartPolicies = map[string]func(result Result) bool{
	"no":         func(Result) bool { return false },
	"always":     func(Result) bool { return true },
	"on-success": func(r Result) bool { return r == resultSuccess },
	"on-failure": func(r Result) bool { return r != resultSuccess },
	"on-abnormal": func(r Result) bool {
		return r == resultSignal || r == resultCoreDump || r == resultTimeout || r == resultWatchdog
	},
	"on-abort":    func(r Result) bool { return r == resultSignal || r == resultCoreDump },
	"on-watchdog": func(r Result) bool { return r == resultWatchdog },
}

// systemd's default start limit (DefaultStartLimitBurst=,
// DefaultStartLimitIntervalSec=); a socket gives up on a service that fails
// this often to activate.
const (
	startLimitBurst    = 5
	startLimitInterval = 10 * time.Second
)

// restartVerdictLocked tells whether u restarts after its main process
// ended by itself with result: Restart= asks for it, or the exit status is
// one of RestartForceExitStatus=, and it is not one of
// RestartPreventExitStatus=, and the manager is not stopping. It is
// decided before the unit goes down, as systemd does, so that a unit
// about to restart does not trigger OnFailure=/OnSuccess= (only its final
// failure does). The restart is a start like any other: the start limit
// may refuse it (see allowStartLocked), which fails the unit for good.
// Callers hold m.mu; u.exitCode and u.exitStatus are the main process's.
func (m *Manager) restartVerdictLocked(u *Unit, result Result) bool {
	if m.stopping || m.stopQueuedLocked(u) {
		// A stop asked for wins over Restart=, as in systemd.
		return false
	}
	svc := u.svc
	switch {
	case svc.RestartPreventExitStatus.Has(u.exitCode, u.exitStatus):
		return false
	case svc.RestartForceExitStatus.Has(u.exitCode, u.exitStatus):
		return true
	}
	return restartPolicies[svc.Restart](result)
}

// endMaybeRestart ends the invocation rs of u, which ended by itself with
// result, and schedules the restart Restart= asks for. Callers hold u's
// job.
func (m *Manager) endMaybeRestart(u *Unit, rs *runState, result Result) {
	m.mu.Lock()
	restart := m.restartVerdictLocked(u, result)
	u.autoRestart = restart
	m.mu.Unlock()
	m.finish(u, rs, result)
	m.maybeRestart(u, rs, restart)
}

// maybeRestart acts on the verdict restartVerdictLocked gave before u
// went down: it schedules the restart, unless a stop came meanwhile (one
// that stopped rs, maybe already done, or one still queued). Callers hold
// u's job.
func (m *Manager) maybeRestart(u *Unit, rs *runState, restart bool) {
	m.mu.Lock()
	u.autoRestart = false
	if !restart || m.stopping || rs.stopping || m.stopQueuedLocked(u) {
		m.mu.Unlock()
		return
	}
	u.setState(stateActivating, subAutoRestart)
	delay := u.svc.NextRestartDelay(u.restarts.n)
	var timer *time.Timer
	timer = time.AfterFunc(delay, func() {
		m.mu.Lock()
		mine := u.restartTimer == timer
		if mine && m.stopQueuedLocked(u) {
			// The stop job ends the wait (stopService's cancelRestart);
			// a restart job here would replace it.
			m.mu.Unlock()
			m.logf(u, "%s: Stop job pending for unit, skipping automatic restart.", u.name)
			return
		}
		if mine {
			u.restartTimer = nil
			u.restarts.restarting(true)
		}
		n := u.restarts.n
		m.mu.Unlock()
		if !mine {
			return
		}
		m.logf(u, "%s: Scheduled restart job, restart counter is at %d.", u.name, n)
		// A start the start limit refused has said so in the unit's log.
		_, err := m.Start(context.Background(), u.name)
		m.mu.Lock()
		u.restarts.restarting(false)
		// A start that ran and failed has said why in the unit's log.
		ran := u.active == stateFailed || u.sub == subAutoRestart
		m.mu.Unlock()
		if err != nil && !ran && !errors.Is(err, errStartLimitHit) && !errors.Is(err, errJobFailed) {
			m.logf(u, "%s: restart failed: %v", u.name, err)
		}
	})
	u.restartTimer = timer
	m.mu.Unlock()
}

// stopQueuedLocked reports whether a stop job of u is queued or running.
// Callers hold m.mu.
func (m *Manager) stopQueuedLocked(u *Unit) bool {
	t, ok := m.jobTypeLocked(u)
	return ok && t == job.Stop
}

// jobTypeLocked is the type of u's job, queued or running, if it has one.
// Callers hold m.mu.
func (m *Manager) jobTypeLocked(u *Unit) (job.Type, bool) {
	if m.q == nil {
		return 0, false
	}
	j, ok := m.q.UnitJob(u.name)
	return j.Type, ok
}

// cancelRestart stops a pending automatic restart; it reports whether
// there was one. Callers hold m.mu.
func (u *Unit) cancelRestart() bool {
	if u.restartTimer == nil {
		return false
	}
	u.restartTimer.Stop()
	u.restartTimer = nil
	return true
}
