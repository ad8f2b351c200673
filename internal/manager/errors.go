package manager

import (
	"errors"
	"strings"
)

// The kinds of error the engine returns, wrapped with context. Faces (the
// varlink interface, later D-Bus) tell them apart with errors.Is and map
// each to their own error names in one place.
var (
	// ErrNoSuchUnit: the unit has no file or is not loaded.
	ErrNoSuchUnit = errNoSuchUnit
	// ErrBusy: refused because of the unit's or the manager's state.
	ErrBusy = errBusy
	// ErrInvalid: bad input from a caller.
	ErrInvalid = errInvalid
	// ErrExists: a transient unit's name is taken.
	ErrExists = errExists
	// ErrNothing: clean found nothing to remove.
	ErrNothing = errNothing
	// ErrUnsupported: a unit type or feature this manager cannot run yet.
	ErrUnsupported = errUnsupported
	// ErrNoInstallInfo: enable or disable of a unit with nothing in its
	// [Install] section (a static unit); nothing was changed. Not a
	// failure: systemctl 257 exits 0 with a hint.
	ErrNoInstallInfo = errNoInstallInfo
)

var errNoInstallInfo = errors.New("unit has no installation config")

var errExists = errors.New("unit exists")

// Message is err's text without the error kind prefixes, for people: the
// kind is conveyed by the error name a face maps it to.
func Message(err error) string {
	s := err.Error()
	for _, e := range []error{errNoSuchUnit, errBusy, errInvalid, errExists, errNothing, errUnsupported} {
		s = strings.ReplaceAll(s, e.Error()+": ", "")
	}
	return s
}

// cleanMessage is Message for the engine's own log lines.
func cleanMessage(err error) string { return Message(err) }
