// Package calendar parses, normalizes and iterates calendar events as
// described in systemd.time(7) ("CALENDAR EVENTS"), with the results of
// systemd 257: the same accepted syntax, the same normalized form and the
// same next elapse, including its handling of daylight saving time gaps
// and repeats (which follows glibc's mktime).
package calendar

import (
	"strconv"
	"strings"
	"time"
)

// Limits of systemd.time(7) calendar events.
const (
	minYear     = 1970
	maxYear     = 2199
	allWeekdays = 127 // bits 0 (Monday) .. 6 (Sunday)
	usecPerSec  = 1000000
	// maxComponents bounds a ',' list, as systemd does.
	maxComponents = 240
)

// component is one element of a ',' list: start, an optional inclusive
// stop (-1: none) and an optional repetition (0: none). For the seconds
// field all three are in microseconds.
type component struct {
	start, stop, repeat int
}

// Spec is a parsed calendar event of systemd.time(7).
type Spec struct {
	weekdays   int // bit set, Monday = bit 0; -1 matches every day
	year       []component
	month      []component
	day        []component
	hour       []component
	minute     []component
	usec       []component // seconds field, in microseconds
	endOfMonth bool        // '~': days count back from the month's end

	utc bool
	// tz is the time zone named in the expression ("Europe/Berlin"),
	// empty when none was; loc is the zone the event is computed in.
	tz  string
	loc *time.Location
	// dst is -1, or 0/1 when the expression ended in the standard (0) or
	// daylight (1) abbreviation of the local zone; zoneName is that name.
	dst      int
	zoneName string
}

// String returns systemd's normalized form of the event, as
// "systemd-analyze calendar" prints it.
func (s *Spec) String() string {
	var b strings.Builder
	if s.weekdays > 0 && s.weekdays <= allWeekdays {
		formatWeekdays(&b, s.weekdays)
		b.WriteByte(' ')
	}
	formatChain(&b, 4, s.year, false)
	b.WriteByte('-')
	formatChain(&b, 2, s.month, false)
	if s.endOfMonth {
		b.WriteByte('~')
	} else {
		b.WriteByte('-')
	}
	formatChain(&b, 2, s.day, false)
	b.WriteByte(' ')
	formatChain(&b, 2, s.hour, false)
	b.WriteByte(':')
	formatChain(&b, 2, s.minute, false)
	b.WriteByte(':')
	formatChain(&b, 2, s.usec, true)
	switch {
	case s.utc:
		b.WriteString(" UTC")
	case s.tz != "":
		b.WriteString(" " + s.tz)
	case s.dst >= 0 && s.zoneName != "":
		b.WriteString(" " + s.zoneName)
	}
	return b.String()
}

var weekdayAbbr = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// formatWeekdays writes runs of three or more days as "A..B", pairs as
// "A,B".
func formatWeekdays(b *strings.Builder, bits int) {
	first := true
	for d := 0; d < 7; {
		if bits&(1<<d) == 0 {
			d++
			continue
		}
		end := d
		for end+1 < 7 && bits&(1<<(end+1)) != 0 {
			end++
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(weekdayAbbr[d])
		switch {
		case end-d >= 2:
			b.WriteString(".." + weekdayAbbr[end])
		case end-d == 1:
			b.WriteString("," + weekdayAbbr[end])
		}
		d = end + 1
	}
}

func pad(b *strings.Builder, width, v int) {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}

func frac(b *strings.Builder, v int) {
	b.WriteByte('.')
	pad(b, 6, v)
}

// formatChain writes one field. A seconds field is "*" when one element
// covers every whole second.
func formatChain(b *strings.Builder, width int, c []component, usec bool) {
	if len(c) == 0 {
		b.WriteByte('*')
		return
	}
	d := 1
	if usec {
		d = usecPerSec
		for _, x := range c {
			if x.start == 0 && x.stop < 0 && x.repeat == usecPerSec {
				b.WriteByte('*')
				return
			}
		}
	}
	for i, x := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		pad(b, width, x.start/d)
		if x.start%d > 0 {
			frac(b, x.start%d)
		}
		if x.stop > 0 {
			b.WriteString("..")
			pad(b, width, x.stop/d)
			if x.stop%d > 0 {
				frac(b, x.stop%d)
			}
		}
		if x.repeat > 0 && !(x.stop > 0 && x.repeat == d) {
			b.WriteString("/" + strconv.Itoa(x.repeat/d))
		}
		if x.repeat%d > 0 {
			frac(b, x.repeat%d)
		}
	}
}

// InLocal returns the event computed in local when it names no zone (no
// UTC, no zone or zone abbreviation), else s: the local zone is the one
// in force at each computation, as after a time zone change in systemd.
func (s *Spec) InLocal(local *time.Location) *Spec {
	if s.utc || s.tz != "" || s.zoneName != "" || local == nil || s.loc == local {
		return s
	}
	c := *s
	c.loc = local
	return &c
}
