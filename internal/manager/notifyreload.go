package manager

import (
	"github.com/capsuled/capsuled/internal/logstore"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/process"
)

// reloadWait is a Type=notify-reload service's reload in progress: it
// ends once the service sent RELOADING=1 with a MONOTONIC_USEC= no older
// than the reload signal (so it is this reload, not one already under way)
// and then READY=1. Its fields are guarded by Manager.mu.
type reloadWait struct {
	begin     uint64 // CLOCK_MONOTONIC in µs when the signal was sent
	reloading bool   // a valid RELOADING=1 came
	done      chan struct{}
	once      sync.Once
}

func newReloadWait() *reloadWait {
	return &reloadWait{begin: monotonicUsec(), done: make(chan struct{})}
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, the clock of
// MONOTONIC_USEC=.
func monotonicUsec() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return uint64(ts.Sec)*1e6 + uint64(ts.Nsec)/1e3
}

// notifyLocked applies one notification's RELOADING=, MONOTONIC_USEC= and
// READY= to the reload, as systemd 257 reads them, and reports whether
// the reload's sub-state changed to reload-notify. Callers hold m.mu.
func (rw *reloadWait) notifyLocked(reloading, ready bool, mono string) bool {
	n, err := strconv.ParseUint(mono, 10, 64)
	valid := err == nil && n >= rw.begin
	entered := false
	if reloading && valid && !rw.reloading {
		rw.reloading, entered = true, true
	}
	if ready && rw.reloading {
		rw.once.Do(func() { close(rw.done) })
	}
	return entered
}

// awaitReloaded waits for the end of a notify-reload service's reload,
// bounded by TimeoutStartSec=; a main process that exits ends the wait
// (its end is the unit's, handled where main processes end).
func (m *Manager) awaitReloaded(u *Unit, main *process.Process, rw *reloadWait) Result {
	var timeout <-chan time.Time
	if d := u.svc.TimeoutStart; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-rw.done:
		return resultSuccess
	case <-main.Exited():
		return resultSuccess
	case <-timeout:
		m.logAt(u, logstore.PriorityWarning, "%s: Reload operation timed out. Killing reload process.", u.name)
		return resultTimeout
	}
}

// selfReloadLocked starts a reload a running service announced itself
// (RELOADING=1 unasked): it is reloading until its READY=1, within
// TimeoutStartSec=, as in systemd 257. Callers hold m.mu.
func (m *Manager) selfReloadLocked(u *Unit, rs *runState) {
	main := rs.main
	if u.active != stateActive || u.sub != subRunning || main == nil || main.HasExited() {
		return
	}
	rw := newReloadWait()
	rw.reloading = true // no signal of ours to answer
	rs.reload = rw
	u.setState(stateReloading, subReloadNotify)
	go func() {
		res := m.awaitReloaded(u, main, rw)
		m.mu.Lock()
		defer m.mu.Unlock()
		u.reloadResult = res
		if rs.reload == rw {
			rs.reload = nil
		}
		if u.run == rs && u.active == stateReloading {
			u.setState(stateActive, subRunning)
		}
	}()
}
