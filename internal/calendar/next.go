package calendar

import (
	"errors"
	"syscall"
	"time"
)

// maxIterations bounds the search, as systemd does, so an event that
// cannot settle fails (ErrStuck) instead of looping.
const maxIterations = 1000

// ErrNever: the event does not elapse after the given time (its years
// are past, it cannot match, or it is beyond the year 2199).
var ErrNever = errors.New("calendar event never elapses")

// ErrStuck: the search for the next elapse gave up after as many steps
// as systemd takes (it then reports "Resource deadlock avoided").
var ErrStuck = &Error{Errno: syscall.EDEADLK, Reason: "no next elapse found within the search limit"}

// Next returns the first time strictly after after at which the event
// elapses, with microsecond precision, computed in the event's time zone
// (UTC, the zone it names, or the local zone) exactly as systemd 257
// computes it for systemd.time(7). False: it never elapses again, or the
// search gave up as systemd's does (a timer then does not elapse on it).
func (s *Spec) Next(after time.Time) (time.Time, bool) {
	t, err := s.NextElapse(after)
	return t, err == nil
}

// NextElapse is Next with the reason when there is no next elapse:
// ErrNever, or ErrStuck where systemd-analyze reports a failure.
func (s *Spec) NextElapse(after time.Time) (time.Time, error) {
	k := &clock{loc: s.loc, utc: s.utc}
	if k.loc == nil {
		k.loc = time.UTC
	}
	usec := after.Unix()*usecPerSec + int64(after.Nanosecond()/1000)
	if usec < 0 {
		usec = -1
	}
	usec++
	tm := k.localtime(usec / usecPerSec)
	tmUsec := int(usec % usecPerSec)
	if err := s.findNext(k, &tm, &tmUsec); err != nil {
		return time.Time{}, err
	}
	t, ok := k.mktime(&tm)
	if !ok {
		return time.Time{}, &Error{Errno: syscall.ERANGE, Reason: "next elapse out of range"}
	}
	return time.Unix(t, int64(tmUsec)*1000), nil
}

// match finds the earliest value of chain ch that is >= *val; it reports
// whether one exists and whether *val changed. For the day field of a
// '~' event the values count back from the end of tm's month.
func (s *Spec) match(k *clock, ch []component, isDay bool, tm *brokenDown, val *int) (found, changed bool) {
	if len(ch) == 0 {
		return true, false
	}
	eom := s.endOfMonth && isDay
	best, set := 0, false
	for _, c := range ch {
		start, stop := c.start, c.stop
		if eom {
			start = k.endOfMonth(tm, c.start)
			stop = k.endOfMonth(tm, c.stop)
			if stop > 0 {
				start, stop = stop, start
			}
		}
		if start >= *val {
			if !set || start < best {
				best, set = start, true
			}
		} else if c.repeat > 0 {
			n := int64(start) + (int64(*val-start)+int64(c.repeat)-1)/int64(c.repeat)*int64(c.repeat)
			if n <= intMax && (!set || int(n) < best) && (stop < 0 || int(n) <= stop) {
				best, set = int(n), true
			}
		}
	}
	if !set {
		return false, false
	}
	changed = *val != best
	*val = best
	return true, changed
}

// endOfMonth returns the day of tm's month that is back days before its
// end (1: the last day), or -1.
func (k *clock) endOfMonth(tm *brokenDown, back int) int {
	t := *tm
	t.mon++
	t.mday = 1 - back
	if _, ok := k.mktime(&t); !ok || t.mon != tm.mon {
		return -1
	}
	return t.mday
}

// withinBounds normalizes *tm: 1 when it was already normal, 0 when
// normalization moved it forward (then the smaller fields restart), -1
// when it is beyond the year 2199, cannot be converted, or would go back.
func (k *clock) withinBounds(tm *brokenDown) int {
	if tm.year+1900 > maxYear {
		return -1
	}
	t := *tm
	if _, ok := k.mktime(&t); !ok {
		return -1
	}
	cmp := 0
	switch {
	case t.year != tm.year:
		cmp = sign(t.year - tm.year)
		t.mon, t.mday = 0, 1
	case t.mon != tm.mon:
		cmp = sign(t.mon - tm.mon)
		t.mday = 1
	case t.mday != tm.mday:
		cmp = sign(t.mday - tm.mday)
		t.hour = 0
	case t.hour != tm.hour:
		cmp = sign(t.hour - tm.hour)
		t.min = 0
	case t.min != tm.min:
		cmp = sign(t.min - tm.min)
		t.sec = 0
	default:
		cmp = sign(t.sec - tm.sec)
	}
	if cmp < 0 {
		return -1
	}
	if cmp > 0 {
		*tm = t
		return 0
	}
	return 1
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

func (s *Spec) matchesWeekday(k *clock, tm *brokenDown) bool {
	if s.weekdays < 0 || s.weekdays >= allWeekdays {
		return true
	}
	t := *tm
	if _, ok := k.mktime(&t); !ok {
		return false
	}
	d := t.wday - 1
	if t.wday == 0 {
		d = 6
	}
	return s.weekdays&(1<<d) != 0
}

func compareTm(a, b *brokenDown) int {
	for _, d := range [][2]int{{a.year, b.year}, {a.mon, b.mon}, {a.mday, b.mday}, {a.hour, b.hour}, {a.min, b.min}, {a.sec, b.sec}} {
		if d[0] != d[1] {
			return sign(d[0] - d[1])
		}
	}
	return 0
}

// findNext moves *tm (with *usec) to the first matching time at or after
// it, field by field from the year down; a field that runs out advances
// the next larger one. Normalizing through mktime decides what a wall
// time in a daylight saving gap or repeat means.
func (s *Spec) findNext(k *clock, tm *brokenDown, usec *int) error {
	c := *tm
	tmUsec := *usec
	invalidateDST := false
	resetBelowYear := func() { c.mon, c.mday, c.hour, c.min, c.sec, tmUsec = 0, 1, 0, 0, 0, 0 }
	resetBelowMonth := func() { c.mday, c.hour, c.min, c.sec, tmUsec = 1, 0, 0, 0, 0 }
	resetBelowDay := func() { c.hour, c.min, c.sec, tmUsec = 0, 0, 0, 0 }
	for i := 0; i < maxIterations; i++ {
		k.mktime(&c)
		if !invalidateDST {
			c.isdst = s.dst
		}

		year := c.year + 1900
		found, changed := s.match(k, s.year, false, &c, &year)
		c.year = year - 1900
		if changed {
			resetBelowYear()
		}
		if !found || k.withinBounds(&c) <= 0 {
			return ErrNever
		}

		mon := c.mon + 1
		found, changed = s.match(k, s.month, false, &c, &mon)
		c.mon = mon - 1
		if changed {
			resetBelowMonth()
		}
		r := -1
		if found {
			r = k.withinBounds(&c)
		}
		if r < 0 {
			c.year++
			resetBelowYear()
			continue
		}
		if r == 0 {
			continue
		}

		found, changed = s.match(k, s.day, true, &c, &c.mday)
		if changed {
			resetBelowDay()
		}
		r = -1
		if found {
			r = k.withinBounds(&c)
		}
		if r < 0 {
			c.mon++
			resetBelowMonth()
			continue
		}
		if r == 0 {
			continue
		}

		if !s.matchesWeekday(k, &c) {
			c.mday++
			resetBelowDay()
			continue
		}

		found, changed = s.match(k, s.hour, false, &c, &c.hour)
		if changed {
			c.min, c.sec, tmUsec = 0, 0, 0
		}
		r = -1
		if found {
			r = k.withinBounds(&c)
		}
		if r < 0 {
			c.mday++
			resetBelowDay()
			continue
		}
		if r == 0 {
			continue
		}

		found, changed = s.match(k, s.minute, false, &c, &c.min)
		if changed {
			c.sec, tmUsec = 0, 0
		}
		r = -1
		if found {
			r = k.withinBounds(&c)
		}
		if r < 0 {
			c.hour++
			c.min, c.sec, tmUsec = 0, 0, 0
			continue
		}
		if r == 0 {
			continue
		}

		us := c.sec*usecPerSec + tmUsec
		found, _ = s.match(k, s.usec, false, &c, &us)
		tmUsec = us % usecPerSec
		c.sec = us / usecPerSec
		r = -1
		if found {
			r = k.withinBounds(&c)
		}
		if r < 0 {
			c.min++
			c.sec, tmUsec = 0, 0
			continue
		}
		if r == 0 {
			continue
		}

		cmp := compareTm(tm, &c)
		if cmp == 0 {
			cmp = sign(*usec - (tmUsec + 1))
		}
		if cmp >= 0 {
			// Stuck on a time that is not after the start (a daylight
			// saving repeat): move on and let mktime pick the offset.
			invalidateDST = true
			c.hour++
			continue
		}
		*tm = c
		*usec = tmUsec
		return nil
	}
	return ErrStuck
}
