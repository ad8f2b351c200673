package manager

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/capsuled/capsuled/internal/condition"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// ErrAssert: a start job failed because an Assert…= setting did not hold
// (systemd's job result "assert").
var ErrAssert = errAssert

var errAssert = errors.New("assertion failed")

// condState is what the last start of a unit found of its conditions and
// asserts; guarded by Manager.mu.
type condState struct {
	condTime, assertTime stamp // zero: never checked
	cond, assert         condition.Outcome
}

// ConditionInfo is what show and status tell about a unit's checks.
type ConditionInfo struct {
	// ConditionResult and AssertResult are false until checked, as
	// systemd shows them ("no").
	ConditionResult, AssertResult       bool
	ConditionTimestamp, AssertTimestamp time.Time
	// Unmet lists the failed conditions ("ConditionPathExists=/x was not
	// met"); AssertUnmet the failed assert's line.
	Unmet       []string
	AssertUnmet string
}

// Conditions reports the last condition and assert checks of a loaded unit.
func (m *Manager) Conditions(name string) (ConditionInfo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.units[name]
	if !ok {
		return ConditionInfo{}, false
	}
	c := u.cond
	info := ConditionInfo{ConditionTimestamp: c.condTime.wall, AssertTimestamp: c.assertTime.wall}
	if !c.condTime.wall.IsZero() {
		info.ConditionResult = c.cond.OK
		if !c.cond.OK {
			info.Unmet = c.cond.Unmet()
		}
	}
	if !c.assertTime.wall.IsZero() {
		info.AssertResult = c.assert.OK
		if !c.assert.OK {
			info.AssertUnmet = c.assert.AssertUnmet()
		}
	}
	return info, true
}

// checkConditions runs when u's own start begins, after its requirements,
// as systemd's unit_start does. skip means a condition failed: the start
// job is done and u is left as it was. An error means an assert failed: the
// job fails and u is left as it was too.
func (m *Manager) checkConditions(u *Unit) (skip bool, err error) {
	if u.conf == nil {
		return false, nil
	}
	// Checked and normalised when the unit was loaded (unitconf).
	conds, asserts := u.conf.Unit.Conditions, u.conf.Unit.Asserts
	facts := &condition.System{Env: m.Environment()}
	ident := condition.Ident(u.name, u.description)

	co := conds.Evaluate(facts)
	m.logErrors(u, co)
	m.mu.Lock()
	u.cond.condTime, u.cond.cond = now(), co
	m.mu.Unlock()
	if !co.OK {
		m.logf(u, "%s", co.SkipMessage(ident))
		return true, nil
	}

	ao := asserts.Evaluate(facts)
	m.logErrors(u, ao)
	m.mu.Lock()
	u.cond.assertTime, u.cond.assert = now(), ao
	m.mu.Unlock()
	if !ao.OK {
		m.logf(u, "%s: %s", u.name, condition.LogAssertFailed)
		m.logf(u, "%s", condition.AssertJobMessage(ident))
		return false, fmt.Errorf("%w: %s", errAssert, condition.AssertClientMessage(u.name))
	}
	return false, nil
}

// logErrors logs the checks whose result could not be determined.
func (m *Manager) logErrors(u *Unit, o condition.Outcome) {
	for _, r := range o.Results {
		if r.State == condition.Error {
			m.logf(u, "%s: %s", u.name, r.LogLine())
		}
	}
}

// conditionProperties are ConditionResult=, AssertResult= and their
// timestamps as systemctl show prints them ("no" until checked); callers
// hold m.mu.
func (u *Unit) conditionProperties() []Property {
	c := u.cond
	var out []Property
	for _, p := range []struct {
		name string
		at   stamp
		ok   bool
	}{{"Condition", c.condTime, c.cond.OK}, {"Assert", c.assertTime, c.assert.OK}} {
		v := ""
		if !p.at.wall.IsZero() {
			v = formatTimestamp(p.at)
		}
		out = append(out, Property{p.name + "Result", unitconf.FormatBool(!p.at.wall.IsZero() && p.ok)},
			Property{p.name + "Timestamp", v},
			Property{p.name + "TimestampMonotonic", strconv.FormatUint(p.at.mono, 10)})
	}
	return out
}
