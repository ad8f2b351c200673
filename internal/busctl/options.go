// Package busctl speaks to a capsule's D-Bus broker as busctl
// --capsule=NAME does: it connects as the capsule's user from one thread
// while the process stays root (see DialCapsule), and implements busctl's
// verbs with its output, every string from the bus escaped first.
package busctl

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/capsuled/capsuled/internal/escape"
)

// Options are busctl's options that change what a verb does.
type Options struct {
	NoLegend         bool
	Full             bool
	Unique           bool
	Acquired         bool
	Activatable      bool
	List             bool // tree --list
	Quiet            bool
	Verbose          bool
	XMLInterface     bool
	ExpectReply      bool
	AutoStart        bool
	AllowInteractive bool
	Timeout          time.Duration // 0: default
	JSON             string        // "", "short" or "pretty"
	Destination      string        // emit --destination=
	Matches          []string      // monitor --match=
	Limit            uint64        // --limit-messages=; 0: default
	Snaplen          int           // capture --size=
}

// DefaultOptions are busctl's defaults.
func DefaultOptions() Options {
	return Options{ExpectReply: true, AutoStart: true, AllowInteractive: true, Snaplen: 4096}
}

// Env is where a verb writes: Out is stdout (for capsulectl an escaping
// writer), Raw the unescaped stdout for capture's binary data, Err
// stderr.
type Env struct {
	Out, Raw, Err io.Writer
	Opt           Options
}

// ExitError is a failure with busctl's message; the exit status is 1.
type ExitError struct{ Msg string }

func (e *ExitError) Error() string { return e.Msg }

func failf(msg string) error { return &ExitError{Msg: msg} }

// failf2 is failf with a format: busctl's messages are sentences.
func failf2(format string, args ...any) error { return failf(fmt.Sprintf(format, args...)) }

// errSilent is a failure whose message was already printed.
var errSilent = errors.New("")

// IsSilent reports whether err needs no message of its own.
func IsSilent(err error) bool { return errors.Is(err, errSilent) }

// busErrText is a failure's text for one line of output. The text of an
// error reply comes from the capsule's bus: its line breaks and controls
// are escaped so that it cannot forge lines on root's terminal (busctl
// prints it raw).
func busErrText(err error) string {
	var be *BusError
	if errors.As(err, &be) {
		return escape.Text(be.Error())
	}
	return escape.Text(ErrnoText(err))
}
