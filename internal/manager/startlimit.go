package manager

import (
	"errors"
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"time"
)

// startWindow counts a unit's starts as systemd's start rate limit does:
// a window opens with a start and lasts StartLimitIntervalSec=; more than
// StartLimitBurst= starts in it are refused. Every start counts (by hand,
// Restart=, OnFailure=, Upholds=), so no chain of units can start each
// other for ever. It lives with the loaded unit; reset-failed clears it.
type startWindow struct {
	begin time.Time
	n     uint
}

// errStartLimitHit marks a start refused by the unit's start limit while
// its result was a success: the unit's result is then start-limit-hit.
var errStartLimitHit = errors.New("start of the service was attempted too often")

// ErrStartLimitHit: a start job failed because its unit was started too
// often (Result=start-limit-hit).
var ErrStartLimitHit = errStartLimitHit

// limitsStarts tells whether units of kind k have a start limit: services
// and sockets, as in systemd.
func limitsStarts(k kind) bool {
	switch k.(type) {
	case serviceKind, socketKind, pathKind:
		return true
	}
	return false
}

// allowStartLocked counts a start of u and tells whether the start limit
// lets it through. A start of a unit already on its way up (not waiting to
// be restarted) does not count. Callers hold m.mu.
func (u *Unit) allowStartLocked(now time.Time) bool {
	if u.conf == nil || !limitsStarts(u.kind) || u.active == stateActivating && u.sub != subAutoRestart {
		return true
	}
	l := u.conf.Unit.StartLimit
	if l.Interval <= 0 || l.Burst == 0 {
		return true
	}
	w := &u.startWindow
	if w.begin.IsZero() || now.Sub(w.begin) > l.Interval {
		w.begin, w.n = now, 1
		return true
	}
	if w.n < l.Burst+1 {
		w.n++ // no further: it only needs to stay above Burst
	}
	return w.n <= l.Burst
}

// hitStartLimit fails u whose start the limit refused, as systemd 257
// does: a result that is already a failure is kept (Result=exit-code of a
// unit Restart= gave up on), a success becomes start-limit-hit. The error
// is what the start's caller is told.
func (m *Manager) hitStartLimit(u *Unit) error {
	m.mu.Lock()
	u.cancelRestart()
	u.autoRestart = false
	if u.result == resultSuccess {
		u.result = resultStartLimitHit
	}
	res := u.result
	m.mu.Unlock()
	// Logged before the state changes, which ends the job with its own
	// line ("Failed to start X.").
	m.logAt(u, logstore.PriorityWarning, "%s: Start request repeated too quickly.", u.name)
	m.logAt(u, logstore.PriorityWarning, "%s: Failed with result '%s'.", u.name, res)
	m.mu.Lock()
	u.setState(stateFailed, subFailed)
	m.mu.Unlock()
	if res == resultStartLimitHit {
		return fmt.Errorf("%w: %s", errStartLimitHit, u.name)
	}
	return fmt.Errorf("%w: job for %s failed", errJobFailed, u.name)
}
