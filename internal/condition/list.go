package condition

import (
	"errors"
	"fmt"
)

// State is the outcome of one check, as systemd records it.
type State int

// States of a check.
const (
	Untested  State = iota // not evaluated: an earlier check already decided the list
	Succeeded              // held (after "!")
	Failed                 // did not hold
	Error                  // could not be determined; counts as failed, "!" or not
)

func (s State) String() string {
	switch s {
	case Untested:
		return "untested"
	case Succeeded:
		return "succeeded"
	case Failed:
		return "failed"
	case Error:
		return "error"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Tristate is the value systemd's Conditions/Asserts D-Bus properties carry:
// 0 untested, 1 succeeded, -1 failed or error.
func (s State) Tristate() int {
	switch s {
	case Untested:
		return 0
	case Succeeded:
		return 1
	}
	return -1
}

// List holds the conditions (or the asserts) of one unit in assignment order.
type List []Condition

// Set applies one assignment from a unit file: an empty value resets the
// whole list (every kind of condition, or every assert), anything else is
// parsed and appended. A setting Parse refuses is returned as an error for
// the caller to warn about; the list is then unchanged, as in systemd.
func (l *List) Set(key, value string) error {
	c, err := Parse(key, value)
	if errors.Is(err, ErrEmpty) {
		*l = nil
		return nil
	}
	if err != nil {
		return err
	}
	*l = append(*l, c)
	return nil
}

// Result is the outcome of one condition of an evaluated list.
type Result struct {
	Condition
	State State
	Err   error // why the check could not be determined (State Error)
}

// LogLine is the manager's debug line for a tested check, e.g.
// "ConditionPathExists=!/x succeeded.", or the warning for one that could not
// be determined.
func (r Result) LogLine() string {
	if r.State == Error {
		return fmt.Sprintf("Couldn't determine result for %s, assuming failed: %v", r.Condition, r.Err)
	}
	return fmt.Sprintf("%s %s.", r.Condition, r.State)
}

// Outcome is an evaluated list.
type Outcome struct {
	OK bool
	// Results are in systemd's order, which is the reverse of the order of
	// assignment (systemd prepends each new condition to its list); checks
	// after the first failing non-triggering one stay Untested.
	Results []Result
}

// Evaluate tests the list against facts, as systemd does when a unit is about
// to start: it holds if it is empty, or if every non-triggering check holds
// and, when there are triggering checks, at least one of them holds.
func (l List) Evaluate(f Facts) Outcome {
	out := Outcome{Results: make([]Result, len(l))}
	for i := range l {
		out.Results[i] = Result{Condition: l[len(l)-1-i]}
	}
	triggered := -1 // no triggering check seen yet
	for i := range out.Results {
		r := &out.Results[i]
		held, err := test(r.Condition, f)
		switch {
		case err != nil:
			r.State, r.Err = Error, err
		case held != r.Negate:
			r.State = Succeeded
		default:
			r.State = Failed
		}
		ok := r.State == Succeeded
		if !r.Trigger && !ok {
			return out
		}
		if r.Trigger && triggered <= 0 {
			triggered = 0
			if ok {
				triggered = 1
			}
		}
	}
	out.OK = triggered != 0
	return out
}

// Failed is the check systemd names when a unit is skipped: the first
// non-triggering check that did not succeed, else, when no triggering check
// succeeded, the first triggering one. ok is false when the list held.
func (o Outcome) Failed() (r Result, ok bool) {
	if o.OK {
		return Result{}, false
	}
	var trig *Result
	succeededTrigger := false
	for i := range o.Results {
		c := &o.Results[i]
		if c.Trigger {
			if c.State == Succeeded {
				succeededTrigger = true
			} else if trig == nil {
				trig = c
			}
			continue
		}
		if c.State != Succeeded {
			return *c, true
		}
	}
	if trig != nil && !succeededTrigger {
		return *trig, true
	}
	return Result{}, false
}

// SkipMessage is the manager's log line for a start job that did nothing
// because the unit's conditions failed, as systemd 257 words it; ident is
// Ident's.
func (o Outcome) SkipMessage(ident string) string {
	r, ok := o.Failed()
	switch {
	case !ok:
		return fmt.Sprintf("Condition check resulted in %s being skipped.", ident)
	case r.Trigger:
		return fmt.Sprintf("%s skipped, no trigger condition checks were met.", ident)
	}
	neg := ""
	if r.Negate {
		neg = "!"
	}
	return fmt.Sprintf("%s skipped, unmet condition check %s=%s%s", ident, r.Name(), neg, r.Param)
}

// Ident names a unit in the manager's job messages: "NAME - DESCRIPTION",
// or the name alone when it has no description.
func Ident(name, description string) string {
	if description == "" || description == name {
		return name
	}
	return name + " - " + description
}

// Unmet lists the checks that did not succeed, as "systemctl status" prints
// them below "Condition: start condition unmet": "ConditionPathExists=/x was
// not met", in the order of assignment.
func (o Outcome) Unmet() []string {
	var lines []string
	for i := len(o.Results) - 1; i >= 0; i-- {
		if r := o.Results[i]; r.State.Tristate() < 0 {
			lines = append(lines, r.Condition.String()+" was not met")
		}
	}
	return lines
}

// AssertUnmet is the line "systemctl status" prints below "Assert: start
// assertion failed" for a failed assert list.
func (o Outcome) AssertUnmet() string {
	var failed *Result
	for i := range o.Results {
		r := &o.Results[i]
		if r.State.Tristate() < 0 && (!r.Trigger || failed == nil) {
			failed = r
		}
	}
	switch {
	case failed == nil:
		return ""
	case failed.Trigger:
		return "none of the trigger assertions were met"
	}
	neg := ""
	if failed.Negate {
		neg = "!"
	}
	return fmt.Sprintf("%s=%s%s was not met", failed.Name(), neg, failed.Param)
}

// Messages the manager logs, worded as systemd 257 words them.
const (
	// StatusConditionUnmet heads the status of a unit skipped by a condition.
	StatusConditionUnmet = "start condition unmet"
	// StatusAssertFailed heads the status of a unit whose assert failed.
	StatusAssertFailed = "start assertion failed"
	// LogConditionUnmet is logged (debug) when a start is skipped.
	LogConditionUnmet = "Starting requested but condition not met. Not starting unit."
	// LogAssertFailed is logged (notice) when an assert fails a start.
	LogAssertFailed = "Starting requested but asserts failed."
)

// AssertJobMessage is the manager's log line for a start job that failed on
// an assert.
func AssertJobMessage(ident string) string {
	return fmt.Sprintf("Assertion failed for %s.", ident)
}

// AssertClientMessage is what systemctl prints when its start job ended with
// result "assert".
func AssertClientMessage(unit string) string {
	return fmt.Sprintf("Assertion failed on job for %s.", unit)
}
