package manager

import (
	"github.com/capsuled/capsuled/internal/logstore"
	"strconv"

	"github.com/capsuled/capsuled/internal/process"
	"syscall"
	"time"
)

// The service watchdog (WatchdogSec=): a service that does not send
// WATCHDOG=1 within its limit, or sends WATCHDOG=trigger, is aborted with
// WatchdogSignal= (SIGABRT), then killed after TimeoutAbortSec=, and
// ends with Result=watchdog, as in systemd 257.

// notifies tells whether the processes of svc get NOTIFY_SOCKET: its
// NotifyAccess= is not none (main is implied for notify types and with a
// watchdog, as in systemd).
func notifies(svc *serviceConfig) bool { return svc.EffectiveNotifyAccess() != "none" }

// setControl records p as the control process of rs until the function
// it returns is called.
func (m *Manager) setControl(rs *runState, p *process.Process) func() {
	m.mu.Lock()
	rs.control = p
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		if rs.control == p {
			rs.control = nil
		}
		m.mu.Unlock()
	}
}

// watchdogEnv is the environment the main process of svc is told its
// watchdog limit in.
func watchdogEnv(svc *serviceConfig) []string {
	if svc.Watchdog <= 0 {
		return nil
	}
	return []string{"WATCHDOG_USEC=" + strconv.FormatInt(svc.Watchdog.Microseconds(), 10)}
}

// armWatchdogLocked (re)starts the watchdog timer of rs. Callers hold m.mu.
func (m *Manager) armWatchdogLocked(u *Unit, rs *runState) {
	t := &rs.timers
	if t.wdLimit == 0 {
		t.wdLimit = u.svc.Watchdog
	}
	if t.wdLimit <= 0 || t.ending {
		return
	}
	if t.watchdog != nil {
		t.watchdog.Reset(t.wdLimit)
		return
	}
	t.watchdog = time.AfterFunc(t.wdLimit, func() {
		m.mu.Lock()
		limit := t.wdLimit
		m.mu.Unlock()
		m.logAt(u, logstore.PriorityErr, "%s: Watchdog timeout (limit %s)!", u.name, formatLimit(limit))
		m.watchdogAbort(u, rs)
	})
}

// watchdogAbort aborts rs: its watchdog expired or it asked for it.
func (m *Manager) watchdogAbort(u *Unit, rs *runState) {
	svc := u.svc
	m.endFromWithin(u, rs, selfStop{result: resultWatchdog, sig: syscall.Signal(svc.WatchdogSignal),
		timeout: svc.AbortTimeout(), state: "stop-watchdog"})
}

// watchdogNotifyLocked handles the watchdog's sd_notify fields of a
// running invocation: WATCHDOG=1 feeds it, WATCHDOG_USEC= sets a new
// limit. It reports whether WATCHDOG=trigger asked for an abort. Callers
// hold m.mu.
func (m *Manager) watchdogNotifyLocked(u *Unit, rs *runState, key, value string) bool {
	switch {
	case key == "WATCHDOG" && value == "1":
		if rs.timers.watchdog != nil {
			m.armWatchdogLocked(u, rs)
		}
	case key == "WATCHDOG" && value == "trigger":
		return true
	case key == "WATCHDOG_USEC":
		n, err := strconv.ParseUint(value, 10, 63)
		if err != nil || n == 0 {
			return false
		}
		rs.timers.wdLimit = time.Duration(n) * time.Microsecond
		if rs.timers.watchdog != nil {
			m.armWatchdogLocked(u, rs)
		}
	}
	return false
}
