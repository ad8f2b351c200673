package manager

import (
	"context"
	"time"
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

// Automatic restarts are limited as systemd's StartLimitBurst= and
// StartLimitIntervalSec= defaults do, so a unit that dies at once does not
// spin forever.
const (
	startLimitBurst    = 5
	startLimitInterval = 10 * time.Second
)

// restartVerdictLocked tells whether u restarts after its main process
// ended by itself with result: Restart= asks for it and the manager is not
// stopping; limited when the start limit forbids it. It is decided before
// the unit goes down, as systemd does, so that a unit about to restart
// does not trigger OnFailure=/OnSuccess= (only its final failure does).
// Callers hold m.mu.
func (m *Manager) restartVerdictLocked(u *Unit, result Result) (restart, limited bool) {
	if !restartPolicies[u.svc.Restart](result) || m.stopping {
		return false, false
	}
	// Like systemd, every start in the interval counts, the first one too.
	now := time.Now()
	n := 0
	for _, t := range u.starts {
		if now.Sub(t) < startLimitInterval {
			n++
		}
	}
	if n >= startLimitBurst {
		return false, true
	}
	return true, false
}

// maybeRestart acts on the verdict restartVerdictLocked gave before u
// went down: it schedules the restart, or fails u with start-limit-hit.
// Callers hold u's job.
func (m *Manager) maybeRestart(u *Unit, restart, limited bool) {
	m.mu.Lock()
	u.autoRestart = false
	if limited {
		u.result = resultStartLimitHit
		u.setState(stateFailed, subFailed)
		m.mu.Unlock()
		m.logf(u, "%s: Start request repeated too quickly; not restarting (Restart=%s).", u.name, u.svc.Restart)
		return
	}
	if !restart || m.stopping {
		m.mu.Unlock()
		return
	}
	u.setState(stateActivating, subAutoRestart)
	var timer *time.Timer
	timer = time.AfterFunc(u.svc.RestartDelay, func() {
		m.mu.Lock()
		mine := u.restartTimer == timer
		if mine {
			u.restartTimer = nil
		}
		m.mu.Unlock()
		if !mine {
			return
		}
		if _, err := m.Start(context.Background(), u.name); err != nil {
			m.logf(u, "%s: restart failed: %v", u.name, err)
		}
	})
	u.restartTimer = timer
	m.mu.Unlock()
	m.logf(u, "%s: Scheduled restart in %s (Restart=%s).", u.name, u.svc.RestartDelay, u.svc.Restart)
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
