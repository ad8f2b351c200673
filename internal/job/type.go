package job

import (
	"fmt"
	"strings"
)

// Type is a job type. The order follows systemd's: the first five take part in
// merging, Nop has its own slot per unit, and the last three collapse into one of the
// others by the unit's state before they enter a transaction.
type Type int

const (
	Start Type = iota
	VerifyActive
	Stop
	Reload
	Restart
	Nop
	TryRestart
	TryReload
	ReloadOrStart
)

var typeNames = [...]string{
	Start:         "start",
	VerifyActive:  "verify-active",
	Stop:          "stop",
	Reload:        "reload",
	Restart:       "restart",
	Nop:           "nop",
	TryRestart:    "try-restart",
	TryReload:     "try-reload",
	ReloadOrStart: "reload-or-start",
}

// String gives systemd's name of the type.
func (t Type) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// ParseType parses systemd's name of a job type.
func ParseType(s string) (Type, error) {
	for i, n := range typeNames {
		if n == s {
			return Type(i), nil
		}
	}
	return 0, fmt.Errorf("invalid job type %q (valid: %s)", s, strings.Join(typeNames[:], ", "))
}

// mergeTable is the lower triangle of systemd's symmetric merge matrix over the five
// mergeable types; -1 marks types that cannot be merged (they conflict).
var mergeTable = [...]Type{
	// VerifyActive with Start
	Start,
	// Stop with Start, VerifyActive
	-1, -1,
	// Reload with Start, VerifyActive, Stop
	ReloadOrStart, Reload, -1,
	// Restart with Start, VerifyActive, Stop, Reload
	Restart, Restart, -1, Restart,
}

// merge returns the type that does both a and b, or -1 if they conflict. Both must be
// mergeable types (Start..Restart).
func merge(a, b Type) Type {
	if a == b {
		return a
	}
	if a < b {
		a, b = b, a
	}
	return mergeTable[int(a-1)*int(a)/2+int(b)]
}

// Mergeable tells whether jobs of types a and b on one unit can be merged into one.
func Mergeable(a, b Type) bool {
	if a > Restart || b > Restart {
		return a == b
	}
	return merge(a, b) >= 0
}

// Conflicting tells whether a job of type a and one of type b on one unit exclude each
// other (a stop and a start, say). Nop conflicts with nothing.
func Conflicting(a, b Type) bool {
	return a != Nop && b != Nop && !Mergeable(a, b)
}

// superset tells whether a does everything b does.
func superset(a, b Type) bool {
	if b == Nop {
		return true
	}
	if a == Nop || !Mergeable(a, b) {
		return false
	}
	return merge(a, b) == a
}

// Redundant tells whether a job of type t has nothing to do on a unit in state s.
func Redundant(t Type, s ActiveState) bool {
	switch t {
	case Start, VerifyActive:
		return s.ActiveOrReloading()
	case Stop:
		return s.InactiveOrFailed()
	case Nop:
		return true
	}
	// Reloads and restarts are always kept: a restart of an activating unit must still
	// happen, it may hold stale state of what it depends on.
	return false
}

// Collapse turns the state-dependent types (try-restart, try-reload, reload-or-start)
// into a plain type by the unit's state s; other types are returned as they are.
func Collapse(t Type, s ActiveState) Type {
	switch t {
	case TryRestart:
		if !s.ActiveOrActivating() {
			return Nop
		}
		return Restart
	case TryReload:
		if !s.ActiveOrReloading() {
			return Nop
		}
		return Reload
	case ReloadOrStart:
		if !s.ActiveOrReloading() {
			return Start
		}
		return Reload
	}
	return t
}

// MergeAndCollapse merges b into a for a unit in state s, as systemd does when two jobs
// meet on one unit: start+verify-active is start, reload+start is reload-or-start
// (which then collapses to reload or start by the state), restart absorbs start,
// verify-active and reload; stop conflicts with all of those (ok is false).
func MergeAndCollapse(a, b Type, s ActiveState) (t Type, ok bool) {
	if a > Restart || b > Restart {
		if a == b {
			return a, true
		}
		return a, false
	}
	m := merge(a, b)
	if m < 0 {
		return a, false
	}
	return Collapse(m, s), true
}
