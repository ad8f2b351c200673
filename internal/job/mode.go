package job

import (
	"fmt"
	"strings"
)

// Mode is how a transaction treats jobs already queued and the units around it, as
// systemctl's --job-mode=.
type Mode int

const (
	// Replace cancels queued jobs that conflict with the transaction. It is the zero
	// Mode, as it is systemd's default.
	Replace Mode = iota
	// Fail refuses a transaction that would replace or reverse a queued job, and keeps
	// it from stopping running units it does not need to stop.
	Fail
	// ReplaceIrreversibly is Replace, and the new jobs cannot be replaced later.
	ReplaceIrreversibly
	// Isolate starts the unit and stops every other unit that is not pulled in and not
	// IgnoreOnIsolate=; only for start, only for units with AllowIsolate=.
	Isolate
	// Flush cancels every queued job that is not part of the transaction.
	Flush
	// IgnoreDependencies queues only the job itself, without requirements or ordering.
	IgnoreDependencies
	// IgnoreRequirements queues only the job itself but keeps ordering.
	IgnoreRequirements
	// Triggering is for stop: also stops the units that trigger the unit.
	Triggering
	// RestartDependencies is for start: units that depend on the unit are restarted.
	RestartDependencies
)

var modeNames = [...]string{
	Replace:             "replace",
	Fail:                "fail",
	ReplaceIrreversibly: "replace-irreversibly",
	Isolate:             "isolate",
	Flush:               "flush",
	IgnoreDependencies:  "ignore-dependencies",
	IgnoreRequirements:  "ignore-requirements",
	Triggering:          "triggering",
	RestartDependencies: "restart-dependencies",
}

// String gives systemd's name of the mode.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses systemd's name of a job mode.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("invalid job mode %q (valid: %s)", s, strings.Join(modeNames[:], ", "))
}

// State is whether an installed job waits for its turn or runs.
type State int

const (
	Waiting State = iota
	Running
)

// String gives systemd's name of the state.
func (s State) String() string {
	switch s {
	case Waiting:
		return "waiting"
	case Running:
		return "running"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Result is how a job ended.
type Result int

const (
	ResultDone        Result = iota // completed (also: skipped by an unmet condition)
	ResultCanceled                  // canceled by a conflicting job or by request
	ResultTimeout                   // JobTimeoutSec= or JobRunningTimeoutSec= elapsed
	ResultFailed                    // the unit's action failed
	ResultDependency                // a required unit's job did not end "done"
	ResultSkipped                   // verify-active found the unit inactive
	ResultInvalid                   // reload of an inactive unit
	ResultAssert                    // an Assert...= did not hold ("assert")
	ResultUnsupported               // the unit type is not supported here
	ResultCollected                 // garbage collected, nothing needed it
	ResultOnce                      // started before and cannot be started again
	ResultFrozen                    // the unit is frozen
	ResultConcurrency               // the slice's concurrency limit was reached
)

var resultNames = [...]string{
	ResultDone:        "done",
	ResultCanceled:    "canceled",
	ResultTimeout:     "timeout",
	ResultFailed:      "failed",
	ResultDependency:  "dependency",
	ResultSkipped:     "skipped",
	ResultInvalid:     "invalid",
	ResultAssert:      "assert",
	ResultUnsupported: "unsupported",
	ResultCollected:   "collected",
	ResultOnce:        "once",
	ResultFrozen:      "frozen",
	ResultConcurrency: "concurrency",
}

// String gives systemd's name of the result.
func (r Result) String() string {
	if r >= 0 && int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// ParseResult parses systemd's name of a job result.
func ParseResult(s string) (Result, error) {
	for i, n := range resultNames {
		if n == s {
			return Result(i), nil
		}
	}
	return 0, fmt.Errorf("invalid job result %q (valid: %s)", s, strings.Join(resultNames[:], ", "))
}
