package manager

import (
	"context"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/capsuled/capsuled/internal/unitconf"
)

// runTimers are the timers of a running invocation: RuntimeMaxSec= and
// the watchdog. Guarded by Manager.mu.
type runTimers struct {
	runtime  *time.Timer
	watchdog *time.Timer
	wdLimit  time.Duration // WatchdogSec=, or what WATCHDOG_USEC= set
	ending   bool          // the service is being ended by a timer
}

// stop cancels the timers; the invocation has ended.
func (t *runTimers) stop() {
	if t.runtime != nil {
		t.runtime.Stop()
	}
	if t.watchdog != nil {
		t.watchdog.Stop()
	}
}

// selfStop is how a service is ended from within the manager when a limit
// of its own is hit, as systemd 257 does it: RuntimeMaxSec= stops it the
// normal way (ExecStop=, KillSignal=, TimeoutStopSec=), the watchdog
// aborts it (WatchdogSignal=, TimeoutAbortSec=, no ExecStop=).
type selfStop struct {
	result   Result
	sig      syscall.Signal
	timeout  time.Duration
	state    string // the phase, as the timeout line names it
	execStop bool
}

// armRunTimers starts the run-time limits of rs, which has just become
// active (running).
func (m *Manager) armRunTimers(u *Unit, rs *runState) {
	svc := u.svc
	m.mu.Lock()
	defer m.mu.Unlock()
	if u.run != rs || isClosed(rs.done) {
		return
	}
	if d := svc.RuntimeMax; d > 0 {
		if x := svc.RuntimeRandomizedExtra; x > 0 {
			d += rand.N(x)
		}
		rs.timers.runtime = time.AfterFunc(d, func() {
			m.logf(u, "%s: Service reached runtime time limit. Stopping.", u.name)
			m.endFromWithin(u, rs, selfStop{result: resultTimeout, sig: syscall.Signal(svc.KillSignal),
				timeout: svc.TimeoutStop, state: "stop-sigterm", execStop: true})
		})
	}
	m.armWatchdogLocked(u, rs)
}

// endFromWithin ends the invocation rs of u because of st, unless it is
// already ending; Restart= then applies as to any other end.
func (m *Manager) endFromWithin(u *Unit, rs *runState, st selfStop) {
	done, err := m.beginJob(context.Background(), u, false)
	if err != nil || done == nil {
		return
	}
	defer m.endJob(u, done)
	m.mu.Lock()
	if u.run != rs || isClosed(rs.done) || rs.stopping || rs.timers.ending {
		m.mu.Unlock()
		return
	}
	rs.timers.ending = true
	p := rs.main
	u.setState(stateDeactivating, subStopSigterm)
	m.mu.Unlock()
	if st.execStop {
		for _, c := range u.svc.ExecStop {
			if err := m.runHelper(context.Background(), u, rs, c, u.svc.TimeoutStop); err != nil {
				m.logf(u, "%s: ExecStop: %v", u.name, err)
			}
		}
	}
	if p != nil && !p.HasExited() {
		m.signalStop(context.Background(), u, rs, p, st.sig, st.timeout, st.state)
	}
	if p != nil && p.HasExited() {
		m.exitResult(u, p, true) // records how it ended
	}
	m.killAll(u, rs)
	m.endMaybeRestart(u, rs, st.result)
}

// formatLimit prints a limit as systemd's log lines do ("1s", "1min 30s").
func formatLimit(d time.Duration) string { return unitconf.FormatTimespan(d) }
