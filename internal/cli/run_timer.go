package cli

import (
	"errors"
	"flag"
	"strings"

	"github.com/capsuled/capsuled/internal/calendar"
	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// runTimerOptions are systemd-run's timer options: each --on-* adds one
// value to a transient timer that starts the service.
type runTimerOptions struct {
	lines []string // [Timer] KEY=VALUE, in the order given
	err   error    // the first bad value
}

func (r *runTimerOptions) register(fs *flag.FlagSet) {
	span := func(key string) func(string) error {
		return func(v string) error {
			if _, err := unit.ParseTimespan(v); err != nil && r.err == nil {
				r.err = fail(exitFailure, "Failed to parse %s=%s: Invalid argument", key, v)
			}
			r.lines = append(r.lines, key+"="+v)
			return nil
		}
	}
	fs.Func("on-active", "SEC", span("OnActiveSec"))
	fs.Func("on-boot", "SEC", span("OnBootSec"))
	fs.Func("on-startup", "SEC", span("OnStartupSec"))
	fs.Func("on-unit-active", "SEC", span("OnUnitActiveSec"))
	fs.Func("on-unit-inactive", "SEC", span("OnUnitInactiveSec"))
	fs.Func("on-calendar", "SPEC", func(v string) error {
		if _, err := calendar.Parse(v); err != nil && r.err == nil {
			// The reason calendar gives for the same expression, as
			// systemd-run and systemd-analyze agree.
			reason := err.Error()
			var ce *calendar.Error
			if errors.As(err, &ce) {
				reason = ce.Strerror()
			}
			r.err = fail(exitFailure, "Failed to parse calendar event specification: %s", reason)
		}
		r.lines = append(r.lines, "OnCalendar="+v)
		return nil
	})
	fs.BoolFunc("on-clock-change", "", func(string) error { r.lines = append(r.lines, "OnClockChange=yes"); return nil })
	fs.BoolFunc("on-timezone-change", "", func(string) error { r.lines = append(r.lines, "OnTimezoneChange=yes"); return nil })
	fs.Func("timer-property", "KEY=VALUE", func(v string) error {
		// Checked here, as systemd-run checks it, so that the error is
		// about the timer and nothing is created.
		k, _, ok := strings.Cut(v, "=")
		if !ok && r.err == nil {
			r.err = fail(exitFailure, "Failed to parse timer property: %s", v)
		}
		if ok && !unitconf.Known("Timer", k) && !unitconf.Known("Unit", k) && r.err == nil {
			r.err = fail(exitFailure, "Unknown assignment: %s", v)
		}
		r.lines = append(r.lines, v)
		return nil
	})
}

// check refuses what systemd-run refuses with a timer.
func (r *runTimerOptions) check(ro *runOptions) error {
	if r.err != nil {
		return r.err
	}
	if len(r.lines) == 0 {
		return nil
	}
	if ro.pty || ro.pipe {
		return fail(exitFailure, "--pty/--pipe is not compatible in timer or path mode.")
	}
	if ro.wait {
		return fail(exitFailure, "--wait may not be combined with path, socket or timer operations.")
	}
	return nil
}
