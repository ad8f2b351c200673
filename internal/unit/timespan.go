package unit

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Time span units as systemd.time(7) lists them, matched as prefixes in
// this order (so "ms" is tried before "m", and "M" is a month).
var timespanUnits = []struct {
	suffix string
	usec   uint64
}{
	{"seconds", usecPerSec}, {"second", usecPerSec}, {"sec", usecPerSec}, {"s", usecPerSec},
	{"minutes", usecPerMinute}, {"minute", usecPerMinute}, {"min", usecPerMinute},
	{"months", usecPerMonth}, {"month", usecPerMonth}, {"M", usecPerMonth},
	{"msec", 1000}, {"ms", 1000}, {"m", usecPerMinute},
	{"hours", usecPerHour}, {"hour", usecPerHour}, {"hr", usecPerHour}, {"h", usecPerHour},
	{"days", usecPerDay}, {"day", usecPerDay}, {"d", usecPerDay},
	{"weeks", 7 * usecPerDay}, {"week", 7 * usecPerDay}, {"w", 7 * usecPerDay},
	{"years", usecPerYear}, {"year", usecPerYear}, {"y", usecPerYear},
	{"usec", 1}, {"us", 1}, {"\u03bcs", 1}, {"\u00b5s", 1},
}

const (
	usecPerSec    = 1_000_000
	usecPerMinute = 60 * usecPerSec
	usecPerHour   = 60 * usecPerMinute
	usecPerDay    = 24 * usecPerHour
	usecPerMonth  = 2_629_800 * usecPerSec  // 30.44 days, as systemd counts a month
	usecPerYear   = 31_557_600 * usecPerSec // 365.25 days
	// usecInfinity is systemd's "no limit"; every finite span is below it.
	usecInfinity = math.MaxUint64
)

// errTimespanRange is wrapped for spans that are negative or do not fit
// in systemd's 64-bit microsecond counter.
var errTimespanRange = errors.New("out of range")

// ParseTimespan parses a time span as systemd.time(7) writes them: "90"
// (seconds), "5s", "2min", "1min 30s", "55s500ms", "2 h", "1.5w", "1y",
// and "infinity", which yields 0 (no limit). Like systemd it counts in
// microseconds, a month being 30.44 days and a year 365.25 days; a span
// beyond what time.Duration holds (about 292 years) yields the largest
// Duration, which callers treat as never. A negative span or one that
// overflows systemd's counter is an error, as in systemd.
func ParseTimespan(v string) (time.Duration, error) {
	usec, err := parseUsec(v)
	if err != nil {
		return 0, err
	}
	if usec == usecInfinity {
		return 0, nil
	}
	if usec > math.MaxInt64/1000 {
		return math.MaxInt64, nil
	}
	return time.Duration(usec) * time.Microsecond, nil
}

const spaces = " \t\n\r"

// parseUsec is systemd's parse_sec: a sum of numbers, each with an
// optional fraction and unit (seconds if none).
func parseUsec(v string) (uint64, error) {
	bad := func() (uint64, error) { return 0, fmt.Errorf("invalid time span %q", v) }
	outOfRange := func() (uint64, error) { return 0, fmt.Errorf("time span %q: %w", v, errTimespanRange) }
	p := strings.TrimLeft(v, spaces)
	if rest, ok := strings.CutPrefix(p, "infinity"); ok {
		if strings.Trim(rest, spaces) != "" {
			return bad()
		}
		return usecInfinity, nil
	}
	var total uint64
	something := false
	for {
		p = strings.TrimLeft(p, spaces)
		if p == "" {
			if !something {
				return bad()
			}
			return total, nil
		}
		if p[0] == '-' {
			return outOfRange()
		}
		p = strings.TrimPrefix(p, "+")
		n := 0
		for n < len(p) && p[n] >= '0' && p[n] <= '9' {
			n++
		}
		whole, frac := p[:n], ""
		p = p[n:]
		hasDot := strings.HasPrefix(p, ".")
		if hasDot {
			p = p[1:]
			m := 0
			for m < len(p) && p[m] >= '0' && p[m] <= '9' {
				m++
			}
			frac, p = p[:m], p[m:]
		} else if whole == "" {
			return bad()
		}
		mult := uint64(usecPerSec)
		afterNumber := p
		q := strings.TrimLeft(p, spaces)
		matched := false
		for _, u := range timespanUnits {
			if strings.HasPrefix(q, u.suffix) {
				mult, q, matched = u.usec, q[len(u.suffix):], true
				break
			}
		}
		if !matched && q == afterNumber && q != "" {
			return bad() // "12.34.56"
		}
		p = q
		var l uint64
		for _, c := range whole {
			d := uint64(c - '0')
			if l > (math.MaxInt64-d)/10 {
				return outOfRange() // strtoll's range
			}
			l = l*10 + d
		}
		if l >= usecInfinity/mult {
			return outOfRange()
		}
		k := l * mult
		if k >= usecInfinity-total {
			return outOfRange()
		}
		total += k
		something = true
		if hasDot {
			if frac == "" {
				return bad() // "3.sec", "3. 1"
			}
			m := mult / 10
			for _, c := range frac {
				k := uint64(c-'0') * m
				if k >= usecInfinity-total {
					return outOfRange()
				}
				total += k
				m /= 10
			}
		}
	}
}
