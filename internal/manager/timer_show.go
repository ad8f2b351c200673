package manager

import (
	"math"
	"slices"
	"time"

	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// timerDeps adds a timer's implicit and default dependencies
// (systemd.timer(5)): Before= and Triggers= its unit; by default
// Before=timers.target, Conflicts=/Before=shutdown.target and, in the
// system manager, Requires=/After=sysinit.target.
func (m *Manager) timerDeps(u *Unit, d *unitDeps, defaults bool, shutdown func()) {
	if u.conf == nil || u.conf.Timer == nil {
		return
	}
	d.add(job.Before, u.conf.Timer.Unit)
	d.add(job.Triggers, u.conf.Timer.Unit)
	if !defaults {
		return
	}
	d.add(job.Before, "timers.target")
	if m.cfg.Mode == System {
		d.add(job.Requires, "sysinit.target")
		d.add(job.After, "sysinit.target")
		if len(u.conf.Timer.Calendar) > 0 {
			d.add(job.After, "time-set.target", "time-sync.target")
		}
	}
	shutdown()
}

// timerOwnProperties are a timer's own properties in systemd 257's order;
// the Unit interface's (a target's) follow.
var timerOwnProperties = []string{
	"Unit", "TimersMonotonic", "TimersCalendar", "OnClockChange", "OnTimezoneChange",
	"NextElapseUSecRealtime", "NextElapseUSecMonotonic", "LastTriggerUSec", "LastTriggerUSecMonotonic",
	"Result", "AccuracyUSec", "RandomizedDelayUSec", "FixedRandomDelay", "Persistent", "WakeSystem",
	"RemainAfterElapse", "DeferReactivation",
}

func timerPropertyOrder() []string {
	return slices.Concat(timerOwnProperties, propertyOrder()["target"])
}

// timerPropertiesLocked are what the engine knows of a timer: the next
// elapse of each value and of the whole, the last trigger and the result.
func (m *Manager) timerPropertiesLocked(u *Unit) []Property {
	if u.conf == nil || u.conf.Timer == nil {
		return nil // not loaded
	}
	tc := u.conf.Timer
	ts := u.timer
	if ts == nil {
		ts = &timerState{}
	}
	active := u.active == stateActive
	var out []Property
	// systemd lists the values last line first.
	for i := len(tc.Monotonic) - 1; i >= 0; i-- {
		v := tc.Monotonic[i]
		var next time.Duration
		if active && i < len(ts.next) {
			next = usecDuration(ts.next[i])
		}
		out = append(out, Property{"TimersMonotonic", unitconf.FormatMonotonic(v, next)})
	}
	for i := len(tc.Calendar) - 1; i >= 0; i-- {
		sp := tc.Calendar[i]
		var n time.Time
		if active && i < len(ts.calNext) {
			n = ts.calNext[i]
		}
		out = append(out, Property{"TimersCalendar", unitconf.FormatCalendar(sp, n)})
	}
	// As in systemd, a timer has a next elapse only while waiting: one
	// stopped, elapsed, failed or running its unit shows infinity (and no
	// wall clock time); one waiting for calendar or host events only, 0.
	waiting := active && u.sub == subWaiting
	nextReal, next := "", "infinity"
	if waiting {
		next = "0"
		if !ts.nextReal.IsZero() {
			nextReal = formatTimestamp(stamp{wall: ts.nextReal})
		}
		if ts.nextMono > 0 {
			next = unitconf.FormatTimespan(usecDuration(ts.nextMono))
		}
	}
	last, lastMono := "", "0"
	if !ts.lastTrigger.wall.IsZero() {
		last = formatTimestamp(ts.lastTrigger)
		lastMono = unitconf.FormatTimespan(usecDuration(int64(ts.lastTrigger.mono)))
	}
	out = append(out, Property{"NextElapseUSecRealtime", nextReal}, Property{"NextElapseUSecMonotonic", next},
		Property{"LastTriggerUSec", last}, Property{"LastTriggerUSecMonotonic", lastMono},
		Property{"Result", u.result.String()})
	if timerCleanable(u) {
		out = append(out, Property{"CanClean", "state"})
	}
	return out
}

// triggerStatus fills in what status shows of triggering: the units u
// triggers and is triggered by and, for a timer, its next elapse.
func (m *Manager) triggerStatus(u *Unit, s *UnitStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Triggers = m.graph.Deps(u.name, job.Triggers)
	s.TriggeredBy = m.graph.Deps(u.name, job.TriggeredBy)
	for _, n := range s.TriggeredBy {
		state := stateInactive.String()
		if t := m.units[n]; t != nil {
			state = t.active.String()
		}
		s.TriggeredByStates = append(s.TriggeredByStates, state)
	}
	s.Listen = socketListen(u)
	ts := u.timer
	if ts == nil || u.active != stateActive {
		return
	}
	if ts.nextMono != 0 {
		s.TimerNext = time.Now().Add(time.Duration(ts.nextMono-monoNow()) * time.Microsecond)
	}
	if !ts.nextReal.IsZero() && (s.TimerNext.IsZero() || ts.nextReal.Before(s.TimerNext)) {
		s.TimerNext = ts.nextReal
	}
}

// usecDuration is a count of µs as a Duration, saturating where systemd's
// 64-bit µs counter goes beyond a Duration's (about 292 years).
func usecDuration(us int64) time.Duration {
	if us >= math.MaxInt64/int64(time.Microsecond) {
		return math.MaxInt64
	}
	return time.Duration(us) * time.Microsecond
}
