package manager

import (
	"time"

	"golang.org/x/sys/unix"
)

// stamp is a moment as systemd records it: wall clock and CLOCK_MONOTONIC.
type stamp struct {
	wall time.Time
	mono uint64 // µs
}

func now() stamp {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return stamp{wall: time.Now(), mono: uint64(ts.Nano() / 1000)}
}

// stateStamps are the moments a unit last changed state, as systemd's
// StateChange, InactiveExit, ActiveEnter, ActiveExit and InactiveEnter
// timestamps.
type stateStamps struct {
	change, inactiveExit, activeEnter, activeExit, inactiveEnter stamp
	// mainStart and mainExit are when the main process (of a oneshot,
	// the last command run) started and was reaped: ExecMainStart/Exit.
	mainStart, mainExit stamp
}

// mainStarted notes the start of a main process, whose exit is not known.
func (s *stateStamps) mainStarted() {
	s.mainStart, s.mainExit = now(), stamp{}
}

// record notes a change from the active state from to to.
func (s *stateStamps) record(from, to ActiveState) {
	t := now()
	s.change = t
	down := ActiveState.isInactiveOrFailed
	if down(from) && !down(to) {
		s.inactiveExit = t
	}
	// Reloading counts as active, as in systemd: a reload moves neither.
	up := func(a ActiveState) bool { return a == stateActive || a == stateReloading }
	if !up(from) && up(to) {
		s.activeEnter = t
	}
	if up(from) && !up(to) {
		s.activeExit = t
	}
	if !down(from) && down(to) {
		s.inactiveEnter = t
	}
}
