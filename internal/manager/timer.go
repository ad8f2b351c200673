package manager

import (
	"context"
	"errors"
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"math"
	"strconv"
	"time"

	"github.com/capsuled/capsuled/internal/unitconf"
	"golang.org/x/sys/unix"
)

// timerKind is a .timer unit: it starts its Unit= when one of its
// values elapses (systemd.timer(5)).
type timerKind struct{ m *Manager }

func (timerKind) typeName() string { return "timer" }

func (k timerKind) start(_ context.Context, u *Unit) error { return k.m.startTimer(u) }

func (k timerKind) stop(_ context.Context, u *Unit) { k.m.stopTimer(u) }

func (timerKind) cgroup(*Unit) string { return "" }

// timerState is a timer unit's runtime state, kept across its starts (the
// last trigger survives a stop). Guarded by Manager.mu.
type timerState struct {
	initial  bool    // the first computation since the timer started
	disabled []bool  // per monotonic value: a one-shot value that has passed
	next     []int64 // per monotonic value: its next elapse, CLOCK_MONOTONIC µs
	// nextMono is the next elapse of the timer as a whole, random delay
	// included (0: none); armed fires at it, coalesced by AccuracySec=.
	nextMono    int64
	nextReal    time.Time   // the same for the OnCalendar= values, zero: none
	calNext     []time.Time // per OnCalendar= value: its next elapse
	armed       *time.Timer
	gen         uint64 // bumped at every re-arm, so a stale firing is dropped
	lastTrigger stamp
	target      string // the unit it triggers, as of its start
	// reloaded is when a daemon-reload re-armed the waiting timer (CLOCK_MONOTONIC µs):
	// OnActiveSec= counts from it, as in systemd.
	reloaded int64
}

// timerIndex finds the timers that trigger a unit, so a change of that
// unit re-arms them. Guarded by Manager.mu; the watcher starts with the
// first timer.
type timerIndex struct {
	byTarget   map[string]map[*Unit]struct{}
	watching   bool
	hostEvents bool // clock and time zone watchers started
	// perturb shifts coalesced wake-ups within a minute (timerPerturb).
	perturb    int64
	perturbSet bool
	// local is the host's time zone as last read after a change (nil:
	// time.Local, read at start); zoneFile is where it is read from
	// ("": /etc/localtime).
	local    *time.Location
	zoneFile string
}

// localZone is the zone calendar values without their own are computed in.
func (x *timerIndex) localZone() *time.Location {
	if x.local == nil {
		return time.Local
	}
	return x.local
}

func (x *timerIndex) add(target string, t *Unit) {
	if x.byTarget == nil {
		x.byTarget = map[string]map[*Unit]struct{}{}
	}
	if x.byTarget[target] == nil {
		x.byTarget[target] = map[*Unit]struct{}{}
	}
	x.byTarget[target][t] = struct{}{}
}

func (x *timerIndex) remove(target string, t *Unit) {
	delete(x.byTarget[target], t)
	if len(x.byTarget[target]) == 0 {
		delete(x.byTarget, target)
	}
}

// startTimer checks the unit to trigger and starts waiting.
func (m *Manager) startTimer(u *Unit) error {
	m.mu.Lock()
	tc := u.conf.Timer
	m.mu.Unlock()
	target, err := m.load(tc.Unit)
	if err == nil && target.loadState != loadLoaded {
		err = errors.New(target.loadErr)
	}
	if err != nil {
		m.logAt(u, logstore.PriorityErr, "%s: Refusing to start, unit %s to trigger not loaded.", u.name, tc.Unit)
		return fmt.Errorf("unit %s to trigger not loaded: %v", tc.Unit, err)
	}
	var last time.Time
	if tc.Persistent {
		last = m.loadTimerStamp(u)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if u.timer == nil {
		u.timer = &timerState{}
	}
	ts := u.timer
	if !last.IsZero() {
		ts.lastTrigger = stamp{wall: last}
	}
	ts.initial, ts.reloaded = true, 0
	ts.disabled, ts.next = nil, nil
	ts.target = tc.Unit
	u.result = resultSuccess
	u.invocation = newInvocationID()
	m.timers.add(ts.target, u)
	if !m.timers.watching {
		m.timers.watching = true
		go m.watchTimerTargets(m.events.subscribe())
	}
	if (tc.OnClockChange || tc.OnTimezoneChange) && !m.timers.hostEvents {
		m.timers.hostEvents = true
		go m.watchHostEvents()
	}
	u.setState(stateActive, subWaiting)
	m.timerWaitLocked(u)
	return nil
}

// stopTimer disarms the timer.
func (m *Manager) stopTimer(u *Unit) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.disarmLocked(u)
	if u.timer != nil {
		m.timers.remove(u.timer.target, u)
	}
	u.setState(stateInactive, subDead)
}

func (m *Manager) disarmLocked(u *Unit) {
	ts := u.timer
	if ts == nil {
		return
	}
	ts.gen++
	if ts.armed != nil {
		ts.armed.Stop()
		ts.armed = nil
	}
	ts.nextMono, ts.nextReal = 0, time.Time{}
}

// timerWaitLocked computes the next elapse and arms the timer for it, or,
// with nothing left to wait for, leaves the timer elapsed or stops it, as
// systemd's timer_enter_waiting does.
func (m *Manager) timerWaitLocked(u *Unit) {
	tc, ts := u.conf.Timer, u.timer
	m.disarmLocked(u)
	if len(ts.disabled) != len(tc.Monotonic) {
		// First computation, or a reload changed the values.
		ts.disabled, ts.next = make([]bool, len(tc.Monotonic)), make([]int64, len(tc.Monotonic))
	}
	nowMono := monoNow()
	target := m.units[ts.target]
	next, found, leaveAround := int64(0), false, false
	for i, v := range tc.Monotonic {
		if ts.disabled[i] {
			continue
		}
		var base int64
		switch v.Base {
		case unitconf.OnActive:
			base = max(int64(u.stamps.inactiveExit.mono), ts.reloaded)
			if base == 0 {
				base = nowMono
			}
		case unitconf.OnBoot:
			// Boot is 0 on CLOCK_BOOTTIME, which runs ahead of
			// CLOCK_MONOTONIC by the time spent suspended.
			base = nowMono - bootNow()
		case unitconf.OnStartup:
			base = nowMono - time.Since(m.since).Microseconds()
		case unitconf.OnUnitActive, unitconf.OnUnitInactive:
			leaveAround = true
			base = int64(ts.lastTrigger.mono)
			if target != nil {
				s := target.stamps.inactiveExit.mono
				if v.Base == unitconf.OnUnitInactive {
					s = target.stamps.inactiveEnter.mono
				}
				base = max(base, int64(s))
			}
			if base == 0 {
				continue
			}
		}
		at := base + v.Span.Microseconds()
		ts.next[i] = max(at, 0)
		// A one-shot value that has passed fires once at start, never
		// again.
		if !ts.initial && at < nowMono && (v.Base == unitconf.OnActive || v.Base == unitconf.OnBoot || v.Base == unitconf.OnStartup) {
			ts.disabled[i] = true
			continue
		}
		if !found || at < next {
			next, found = at, true
		}
	}
	ts.initial = false
	nowWall := time.Now()
	real := m.timerCalendarLocked(u, target, nowWall)
	if !found && real.IsZero() {
		switch {
		case tc.OnClockChange || tc.OnTimezoneChange:
			// Waits for the host's event only.
			u.setState(stateActive, subWaiting)
		case tc.RemainAfterElapse || leaveAround:
			u.setState(stateActive, subElapsed)
		default:
			m.timers.remove(ts.target, u)
			// systemd collects the unit then, and its last trigger with it.
			ts.lastTrigger = stamp{}
			u.setState(stateInactive, subDead)
			if u.transient {
				// Gone with nothing left to fire, and so is its service
				// (run --on-*), as systemd collects them.
				go m.collectTransientTimer(u, ts.target)
			}
		}
		return
	}
	accuracy, perturb := tc.Accuracy.Microseconds(), m.timerPerturb()
	fire := int64(math.MaxInt64)
	if found {
		next += m.timerRandomDelay(u).Microseconds()
		ts.nextMono = max(next, 1)
		fire = coalesce(next, accuracy, perturb)
	}
	if !real.IsZero() {
		// The wall clock's deadline as a wait on the monotonic one; a
		// clock change recomputes it (timersHostEvent).
		real = real.Add(m.timerRandomDelay(u))
		ts.nextReal = real
		fire = min(fire, coalesce(nowMono+real.Sub(nowWall).Microseconds(), accuracy, perturb))
	}
	u.setState(stateActive, subWaiting)
	wait := max(fire-nowMono, 0)
	if wait >= math.MaxInt64/int64(time.Microsecond) || fire < 0 {
		// Beyond what a Go timer holds (about 292 years; spans add up
		// saturating in systemd): never, so nothing to arm.
		return
	}
	gen := ts.gen
	ts.armed = time.AfterFunc(time.Duration(wait)*time.Microsecond, func() { m.timerElapsed(u, gen) })
}

// timerCalendarLocked computes each OnCalendar= value's next elapse, as
// systemd does: after the last trigger (or, with DeferReactivation=, after
// the unit last went inactive), else after the timer's start; a time
// already past (a run a Persistent= timer missed) moves to the manager's
// start. It returns the earliest, zero if none.
func (m *Manager) timerCalendarLocked(u, target *Unit, nowWall time.Time) time.Time {
	tc, ts := u.conf.Timer, u.timer
	if len(ts.calNext) != len(tc.Calendar) {
		ts.calNext = make([]time.Time, len(tc.Calendar))
	}
	var earliest time.Time
	for i, sp := range tc.Calendar {
		var b time.Time
		switch {
		case tc.DeferReactivation && target != nil && !target.stamps.inactiveEnter.wall.IsZero():
			b = target.stamps.inactiveEnter.wall
			if ts.lastTrigger.wall.After(b) {
				b = ts.lastTrigger.wall
			}
		case !ts.lastTrigger.wall.IsZero():
			b = ts.lastTrigger.wall
		case !u.stamps.inactiveExit.wall.IsZero():
			b = u.stamps.inactiveExit.wall
		default:
			b = nowWall
		}
		n, ok := sp.InLocal(m.timers.localZone()).Next(b.Round(0))
		ts.calNext[i] = time.Time{}
		if !ok {
			continue
		}
		if start := m.since.Round(0); n.Before(start) {
			n = start
		}
		ts.calNext[i] = n
		if earliest.IsZero() || n.Before(earliest) {
			earliest = n
		}
	}
	return earliest
}

// timerElapsed runs when the armed deadline is reached: the timer starts
// its unit and waits for it to end before it computes the next elapse.
func (m *Manager) timerElapsed(u *Unit, gen uint64) {
	m.mu.Lock()
	ts := u.timer
	if ts == nil || ts.gen != gen || u.active != stateActive {
		m.mu.Unlock()
		return
	}
	m.triggerTimerLocked(u)
	m.mu.Unlock()
}

// triggerTimerLocked starts the timer's unit in the background.
func (m *Manager) triggerTimerLocked(u *Unit) {
	ts := u.timer
	m.disarmLocked(u)
	ts.lastTrigger = now()
	u.setState(stateActive, subRunning)
	go m.runTimerTarget(u, ts.lastTrigger)
}

func (m *Manager) runTimerTarget(u *Unit, at stamp) {
	m.mu.Lock()
	tc, name := u.conf.Timer, u.timer.target
	m.mu.Unlock()
	if tc.Persistent {
		m.touchTimerStamp(u, at.wall)
	}
	target, err := m.load(name)
	if err == nil && target.loadState != loadLoaded {
		err = errors.New(target.loadErr)
	}
	if err == nil {
		// The unit learns what started it, as from systemd's timers.
		m.mu.Lock()
		target.activationEnv = []string{"TRIGGER_UNIT=" + u.name,
			"TRIGGER_TIMER_REALTIME_USEC=" + strconv.FormatInt(at.wall.UnixMicro(), 10),
			"TRIGGER_TIMER_MONOTONIC_USEC=" + strconv.FormatUint(at.mono, 10)}
		m.mu.Unlock()
	}
	if err != nil {
		m.logAt(u, logstore.PriorityWarning, "%s: Failed to queue unit startup job: %s", u.name, cleanMessage(err))
		m.mu.Lock()
		if u.sub == subRunning {
			m.disarmLocked(u)
			m.timers.remove(name, u)
			u.result = resultResources
			u.setState(stateFailed, subFailed)
		}
		m.mu.Unlock()
		m.logAt(u, logstore.PriorityWarning, "%s: Failed with result 'resources'.", u.name)
		return
	}
	if _, err := m.Start(context.Background(), name); err != nil {
		m.logf(u, "%s: %s", u.name, cleanMessage(err))
	}
	// The unit may have come and gone already (a short oneshot, a failed
	// start): its change was seen while the timer was not waiting for it.
	m.mu.Lock()
	if u.sub == subRunning && target.active.isInactiveOrFailed() {
		m.timerWaitLocked(u)
	}
	m.mu.Unlock()
}

// watchTimerTargets re-arms the timers of a unit whose state changed:
// one that ran goes back to waiting once its unit is down, the others
// recompute (OnUnitActiveSec=, OnUnitInactiveSec= count from the change).
func (m *Manager) watchTimerTargets(s *subscription) {
	for {
		e, ok := s.next(context.Background())
		if !ok {
			return
		}
		m.mu.Lock()
		for t := range m.timers.byTarget[e.Unit] {
			switch {
			case t.active != stateActive || t.timer == nil:
			case t.sub == subRunning:
				if e.New.isInactiveOrFailed() {
					m.timerWaitLocked(t)
				}
			case t.sub == subWaiting || t.sub == subElapsed:
				m.timerWaitLocked(t)
			}
		}
		m.mu.Unlock()
	}
}

// coalesce picks when to wake for a deadline next that may be late by up
// to accuracy: a point in [next, next+accuracy] on a whole minute, ten
// seconds, second or quarter second (shifted by the host's perturbation),
// so timers with the same accuracy wake the manager together, as systemd's
// event loop does.
func coalesce(next, accuracy, perturb int64) int64 {
	if accuracy <= 0 {
		return next
	}
	end := next + accuracy
	for _, g := range []int64{60e6, 10e6, 1e6, 250e3} {
		c := end/g*g + perturb%g
		if c >= end {
			c -= g
		}
		if c >= next {
			return c
		}
	}
	return end
}

// monoNow and bootNow read CLOCK_MONOTONIC and CLOCK_BOOTTIME in µs.
func monoNow() int64 { return clockUsec(unix.CLOCK_MONOTONIC) }

func bootNow() int64 { return clockUsec(unix.CLOCK_BOOTTIME) }

func clockUsec(id int32) int64 {
	var ts unix.Timespec
	unix.ClockGettime(id, &ts)
	return ts.Nano() / 1000
}

// timersReloadedLocked re-arms every waiting timer after a daemon-reload
// as systemd 257 does: its values are computed anew, OnActiveSec= counting
// from the reload (so one that fired fires again) and the random delay
// drawn again. Callers hold m.mu.
func (m *Manager) timersReloadedLocked() {
	now := monoNow()
	for _, set := range m.timers.byTarget {
		for u := range set {
			if u.active != stateActive || u.sub != subWaiting || u.timer == nil {
				continue
			}
			u.timer.reloaded, u.timer.disabled = now, nil
			m.timerWaitLocked(u)
		}
	}
}
