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
}

// record notes a change from the active state from to to.
func (s *stateStamps) record(from, to ActiveState) {
	t := now()
	s.change = t
	down := ActiveState.isInactiveOrFailed
	if down(from) && !down(to) {
		s.inactiveExit = t
	}
	if from != stateActive && to == stateActive {
		s.activeEnter = t
	}
	if from == stateActive && to != stateActive {
		s.activeExit = t
	}
	if !down(from) && down(to) {
		s.inactiveEnter = t
	}
}
