package manager

import (
	"context"
	"github.com/capsuled/capsuled/internal/logstore"
	"math"
	"math/rand/v2"
	"strconv"
	"syscall"
	"time"

	"github.com/capsuled/capsuled/internal/unitconf"
)

// runTimers are the timers of a running invocation: RuntimeMaxSec= and
// the watchdog. Guarded by Manager.mu.
type runTimers struct {
	start    extendable // TimeoutStartSec= of a notify start
	runtime  extendable // RuntimeMaxSec=
	watchdog *time.Timer
	wdLimit  time.Duration // WatchdogSec=, or what WATCHDOG_USEC= set
	ending   bool          // the service is being ended by a timer
}

// extendable is a timeout that EXTEND_TIMEOUT_USEC= can push out.
type extendable struct {
	t        *time.Timer
	deadline time.Time // the configured one
}

// extend moves the timeout to d from now, or back to the configured
// deadline if that is later: as sd_notify(3) says, a service that sends
// EXTEND_TIMEOUT_USEC= must send its next message within it, but is never
// given less time than configured.
func (e *extendable) extend(d time.Duration) {
	if e.t == nil {
		return
	}
	at := time.Now().Add(d)
	if at.Before(e.deadline) {
		at = e.deadline
	}
	e.t.Reset(time.Until(at))
}

// stop cancels the timers; the invocation has ended.
func (t *runTimers) stop() {
	if t.runtime.t != nil {
		t.runtime.t.Stop()
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
	if d := runtimeLimit(svc.RuntimeMax, svc.RuntimeRandomizedExtra, rand.N[time.Duration]); d > 0 && d < math.MaxInt64 {
		rs.timers.runtime.deadline = time.Now().Add(d)
		rs.timers.runtime.t = time.AfterFunc(d, func() {
			m.logAt(u, logstore.PriorityWarning, "%s: Service reached runtime time limit. Stopping.", u.name)
			m.endFromWithin(u, rs, selfStop{result: resultTimeout, sig: syscall.Signal(svc.KillSignal),
				timeout: svc.TimeoutStop, state: "stop-sigterm", execStop: true})
		})
	}
	m.armWatchdogLocked(u, rs)
}

// runtimeLimit is RuntimeMaxSec= plus a random part of
// RuntimeRandomizedExtraSec=, saturating as systemd's µs sums do: a sum
// past what a Duration holds (292 years) is never (MaxInt64); 0 is none.
func runtimeLimit(max, extra time.Duration, random func(time.Duration) time.Duration) time.Duration {
	if max <= 0 || max == math.MaxInt64 || extra <= 0 {
		return max
	}
	d := max + random(extra)
	if d < max {
		return math.MaxInt64
	}
	return d
}

// notifyStartTimer makes the TimeoutStartSec= timer of a notify start of rs.
func (m *Manager) notifyStartTimer(rs *runState, d time.Duration) *time.Timer {
	t := time.NewTimer(d)
	m.mu.Lock()
	rs.timers.start = extendable{t: t, deadline: time.Now().Add(d)}
	m.mu.Unlock()
	return t
}

// extendTimeoutLocked acts on EXTEND_TIMEOUT_USEC= from u: it extends the
// timeout of the state u is in, starting or running. Callers hold m.mu.
func (m *Manager) extendTimeoutLocked(u *Unit, rs *runState, v string) {
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		return
	}
	d := usecDuration(int64(n)) // n < 2^63; beyond a Duration it is never
	switch u.active {
	case stateActivating:
		rs.timers.start.extend(d)
	case stateActive:
		rs.timers.runtime.extend(d)
	}
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
