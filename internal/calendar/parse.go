package calendar

import (
	"sort"
	"strings"
	"syscall"
	"time"
)

// Parse parses a calendar event of systemd.time(7), such as
// "Mon..Fri *-*-* 08:00", "*:0/15", "daily" or "2025-*~01 12:00
// Europe/Berlin", in the local time zone (time.Local). The error, an
// *Error, names what is wrong.
func Parse(s string) (*Spec, error) {
	return ParseInLocation(s, time.Local)
}

// ParseInLocation is Parse with local as the local time zone: events
// without a time zone of their own are computed in it, and its standard
// and daylight abbreviations are accepted as a suffix.
func ParseInLocation(s string, local *time.Location) (*Spec, error) {
	sp, e := parse(s, local)
	if e != nil {
		return nil, &Error{Expr: s, Errno: e.errno, Reason: e.reason}
	}
	return sp, nil
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func parse(p string, local *time.Location) (*Spec, *perr) {
	if local == nil {
		local = time.UTC
	}
	c := &Spec{weekdays: 0, dst: -1, loc: local}
	if hasSuffixFold(p, " UTC") {
		c.utc = true
		p = p[:len(p)-4]
	} else {
		names := zoneAbbreviations(local)
		matched := -1
		for j, z := range names {
			if z == "" || !hasSuffixFold(p, z) {
				continue
			}
			e := len(p) - len(z)
			if e == 0 || p[e-1] != ' ' {
				continue
			}
			matched = j
			break
		}
		if matched >= 0 {
			p = p[:len(p)-len(names[matched])-1]
			c.dst = matched
			c.zoneName = names[matched]
		} else if i := strings.LastIndexByte(p, ' '); i >= 0 {
			if loc, ok := loadZone(p[i+1:]); ok {
				c.tz = p[i+1:]
				c.loc = loc
				p = p[:i]
			}
		}
	}
	if p == "" {
		return nil, invalid("empty expression")
	}
	zero := []component{{0, -1, 0}}
	one := []component{{1, -1, 0}}
	switch strings.ToLower(p) {
	case "minutely":
		c.usec = zero
	case "hourly":
		c.minute, c.usec = zero, zero
	case "daily":
		c.hour, c.minute, c.usec = zero, zero, zero
	case "monthly":
		c.day, c.hour, c.minute, c.usec = one, zero, zero, zero
	case "annually", "yearly", "anually":
		c.month, c.day, c.hour, c.minute, c.usec = one, one, zero, zero, zero
	case "weekly":
		c.weekdays = 1
		c.hour, c.minute, c.usec = zero, zero, zero
	case "quarterly":
		c.month = []component{{1, -1, 0}, {4, -1, 0}, {7, -1, 0}, {10, -1, 0}}
		c.day, c.hour, c.minute, c.usec = one, zero, zero, zero
	case "biannually", "bi-annually", "semiannually", "semi-annually":
		c.month = []component{{1, -1, 0}, {7, -1, 0}}
		c.day, c.hour, c.minute, c.usec = one, zero, zero, zero
	default:
		ps := &parser{s: p}
		if e := ps.weekdays(c); e != nil {
			return nil, e
		}
		done, e := ps.date(c)
		if e != nil {
			return nil, e
		}
		if !done {
			if e := ps.time(c); e != nil {
				return nil, e
			}
		}
		if ps.pos < len(ps.s) {
			return nil, invalid("unexpected %q", ps.s[ps.pos:])
		}
	}
	c.normalize()
	if e := c.validate(); e != nil {
		return nil, e
	}
	return c, nil
}

// parser walks the expression; at returns 0 past its end, as a C string
// would.
type parser struct {
	s   string
	pos int
}

func (ps *parser) at(i int) byte {
	if i < len(ps.s) {
		return ps.s[i]
	}
	return 0
}

func (ps *parser) skipSpaces(i int) int {
	for ps.at(i) == ' ' {
		i++
	}
	return i
}

var weekdayNames = []struct {
	name string
	nr   int
}{
	{"Monday", 0}, {"Mon", 0}, {"Tuesday", 1}, {"Tue", 1}, {"Wednesday", 2}, {"Wed", 2},
	{"Thursday", 3}, {"Thu", 3}, {"Friday", 4}, {"Fri", 4}, {"Saturday", 5}, {"Sat", 5},
	{"Sunday", 6}, {"Sun", 6},
}

// weekdays parses an optional leading list of weekdays and ranges.
func (ps *parser) weekdays(c *Spec) *perr {
	l := -1
	first := true
	for {
		found := -1
		for _, w := range weekdayNames {
			rest := ps.s[ps.pos:]
			if len(rest) < len(w.name) || !strings.EqualFold(rest[:len(w.name)], w.name) {
				continue
			}
			switch ps.at(ps.pos + len(w.name)) {
			case 0, '-', '.', ',', ' ':
			default:
				return invalid("bad weekday %q", rest)
			}
			c.weekdays |= 1 << w.nr
			if l >= 0 {
				if l > w.nr {
					return invalid("weekday range %s..%s runs backwards", weekdayAbbr[l], weekdayAbbr[w.nr])
				}
				for j := l + 1; j < w.nr; j++ {
					c.weekdays |= 1 << j
				}
			}
			ps.pos += len(w.name)
			found = w.nr
			break
		}
		if found < 0 {
			if first {
				return nil
			}
			return invalid("expected a weekday at %q", ps.s[ps.pos:])
		}
		switch ps.at(ps.pos) {
		case 0:
			return nil
		case ' ':
			ps.pos = ps.skipSpaces(ps.pos)
			return nil
		case '.':
			if l >= 0 {
				return invalid("weekday range in a weekday range")
			}
			if ps.at(ps.pos+1) != '.' {
				return invalid("single '.' after a weekday")
			}
			l = found
			ps.pos += 2
		case '-':
			if l >= 0 {
				return invalid("weekday range in a weekday range")
			}
			l = found
			ps.pos++
		case ',':
			l = -1
			ps.pos++
		}
		if b := ps.at(ps.pos); b == 0 || b == ' ' {
			ps.pos = ps.skipSpaces(ps.pos)
			if l >= 0 {
				return invalid("open weekday range")
			}
			return nil
		}
		first = false
	}
}

// number parses an unsigned decimal at i (strtoul without sign or blanks).
func (ps *parser) number(i int) (uint64, int, *perr) {
	start := i
	var v uint64
	over := false
	for b := ps.at(i); b >= '0' && b <= '9'; b = ps.at(i) {
		d := uint64(b - '0')
		if v > (1<<64-1-d)/10 {
			over = true
		}
		v = v*10 + d
		i++
	}
	if i == start {
		return 0, i, invalid("expected a number at %q", ps.s[start:])
	}
	if over {
		return 0, i, outOfRange("number %s too large", ps.s[start:i])
	}
	return v, i, nil
}

const intMax = 1<<31 - 1

// decimal parses one value of a field; in the seconds field (usec) it may
// have a fraction of up to six digits and is returned in microseconds.
func (ps *parser) decimal(i int, usec bool) (int, int, *perr) {
	if b := ps.at(i); b < '0' || b > '9' {
		return 0, i, invalid("expected a number at %q", ps.s[i:])
	}
	v, e, err := ps.number(i)
	if err != nil {
		return 0, e, err
	}
	if usec {
		if v > (1<<64-1)/usecPerSec {
			return 0, e, outOfRange("seconds value %s too large", ps.s[i:e])
		}
		v *= usecPerSec
		if ps.at(e) == '.' && ps.at(e+1) != '.' {
			e++
			var add uint64
			k := 0
			for ; k < 6; k++ {
				b := ps.at(e)
				if b < '0' || b > '9' {
					if k == 0 {
						return 0, e, invalid("expected digits after the decimal point")
					}
					break
				}
				add = add*10 + uint64(b-'0')
				e++
			}
			for ; k < 6; k++ {
				add *= 10
			}
			if b := ps.at(e); b >= '5' && b <= '9' {
				add++
			}
			for b := ps.at(e); b >= '0' && b <= '9'; b = ps.at(e) {
				e++
			}
			v += add
		}
	}
	if v > intMax {
		return 0, e, outOfRange("value %s too large", ps.s[i:e])
	}
	return int(v), e, nil
}

// chain parses a field: "*" (nil, or every second for seconds) or a ','
// list of values, "A..B" ranges and "/N" repetitions.
func (ps *parser) chain(usec bool) ([]component, *perr) {
	if ps.at(ps.pos) == '*' {
		ps.pos++
		if usec {
			return []component{{0, -1, usecPerSec}}, nil
		}
		return nil, nil
	}
	var out []component
	for n := 0; ; n++ {
		if n > maxComponents {
			return nil, &perr{syscall.ENOBUFS, "too many list elements"}
		}
		start, e, err := ps.decimal(ps.pos, usec)
		if err != nil {
			return nil, err
		}
		stop, repeat := -1, 0
		if ps.at(e) == '.' && ps.at(e+1) == '.' {
			if stop, e, err = ps.decimal(e+2, usec); err != nil {
				return nil, err
			}
			repeat = 1
			if usec {
				repeat = usecPerSec
			}
		}
		if ps.at(e) == '/' {
			if repeat, e, err = ps.decimal(e+1, usec); err != nil {
				return nil, err
			}
			if repeat == 0 {
				return nil, outOfRange("repetition of 0")
			}
		} else {
			if start > intMax-repeat {
				return nil, outOfRange("value too large")
			}
			if usec && stop >= 0 && start+repeat > stop {
				return nil, invalid("seconds range %s shorter than one second", ps.s[ps.pos:e])
			}
		}
		switch ps.at(e) {
		case 0, ' ', ',', '-', '~', ':':
		default:
			return nil, invalid("unexpected %q", ps.s[e:])
		}
		out = append(out, component{start, stop, repeat})
		ps.pos = e
		if ps.at(e) != ',' {
			return out, nil
		}
		ps.pos++
	}
}

// date parses "[[Y-]M-]D" with '~' for days from the month's end, or
// "@EPOCH" (done: no time follows). Without a '-' or '~' the text is a
// time and is left unconsumed.
func (ps *parser) date(c *Spec) (done bool, _ *perr) {
	if ps.pos >= len(ps.s) {
		return false, nil
	}
	if ps.at(ps.pos) == '@' {
		// strtoul's syntax: blanks, then a sign; a negated value wraps
		// around and is then out of range, except "-0".
		i := ps.pos + 1
		for strings.IndexByte(" \t\n\v\f\r", ps.at(i)) >= 0 && ps.at(i) != 0 {
			i++
		}
		neg := false
		if b := ps.at(i); b == '+' || b == '-' {
			neg = b == '-'
			i++
		}
		v, e, err := ps.number(i)
		if err != nil {
			return false, err
		}
		if neg && v != 0 {
			return false, outOfRange("negative timestamp")
		}
		if v > 1<<63-1 || v > (1<<64-1)/usecPerSec {
			return false, outOfRange("timestamp too large")
		}
		t := time.Unix(int64(v), 0).UTC()
		if t.Year()-1900 > intMax {
			return false, outOfRange("timestamp too large")
		}
		c.utc = true
		c.year = []component{{t.Year(), -1, 0}}
		c.month = []component{{int(t.Month()), -1, 0}}
		c.day = []component{{t.Day(), -1, 0}}
		c.hour = []component{{t.Hour(), -1, 0}}
		c.minute = []component{{t.Minute(), -1, 0}}
		c.usec = []component{{t.Second() * usecPerSec, -1, 0}}
		ps.pos = e
		return true, nil
	}
	save := ps.pos
	first, err := ps.chain(false)
	if err != nil {
		return false, err
	}
	switch ps.at(ps.pos) {
	case 0, ':':
		ps.pos = save // a time, not a date
		return false, nil
	case '~':
		c.endOfMonth = true
	case '-':
	default:
		return false, invalid("unexpected %q in the date", ps.s[ps.pos:])
	}
	ps.pos++
	second, err := ps.chain(false)
	if err != nil {
		return false, err
	}
	if b := ps.at(ps.pos); b == 0 || b == ' ' {
		ps.pos = ps.skipSpaces(ps.pos)
		c.month, c.day = first, second
		return false, nil
	}
	if c.endOfMonth {
		return false, invalid("'~' must separate month and day")
	}
	switch ps.at(ps.pos) {
	case '~':
		c.endOfMonth = true
	case '-':
	default:
		return false, invalid("unexpected %q in the date", ps.s[ps.pos:])
	}
	ps.pos++
	third, err := ps.chain(false)
	if err != nil {
		return false, err
	}
	if b := ps.at(ps.pos); b != 0 && b != ' ' {
		return false, invalid("unexpected %q after the date", ps.s[ps.pos:])
	}
	ps.pos = ps.skipSpaces(ps.pos)
	c.year, c.month, c.day = first, second, third
	return false, nil
}

// time parses "H:M[:S]"; nothing at all means 00:00:00.
func (ps *parser) time(c *Spec) *perr {
	zero := []component{{0, -1, 0}}
	if ps.pos >= len(ps.s) {
		c.hour, c.minute, c.usec = zero, zero, zero
		return nil
	}
	h, err := ps.chain(false)
	if err != nil {
		return err
	}
	if ps.at(ps.pos) != ':' {
		return invalid("expected ':' after the hour at %q", ps.s[ps.pos:])
	}
	ps.pos++
	m, err := ps.chain(false)
	if err != nil {
		return err
	}
	if ps.pos >= len(ps.s) {
		c.hour, c.minute, c.usec = h, m, zero
		return nil
	}
	if ps.at(ps.pos) != ':' {
		return invalid("expected ':' after the minute at %q", ps.s[ps.pos:])
	}
	ps.pos++
	s, err := ps.chain(true)
	if err != nil {
		return err
	}
	if ps.pos < len(ps.s) {
		return invalid("unexpected %q after the seconds", ps.s[ps.pos:])
	}
	c.hour, c.minute, c.usec = h, m, s
	return nil
}

// normalize makes equal events print equally, as systemd does: two-digit
// years, ranges cut to whole repetitions, sorted lists without duplicates.
func (c *Spec) normalize() {
	if c.tz == "UTC" {
		c.utc = true
		c.tz = ""
	}
	if c.weekdays <= 0 || c.weekdays >= allWeekdays {
		c.weekdays = -1
	}
	if c.endOfMonth && c.day == nil {
		c.endOfMonth = false
	}
	for i := range c.year {
		y := &c.year[i]
		for _, v := range []*int{&y.start, &y.stop} {
			switch {
			case *v >= 0 && *v < 70:
				*v += 2000
			case *v >= 70 && *v < 100:
				*v += 1900
			}
		}
	}
	for _, ch := range []*[]component{&c.year, &c.month, &c.day, &c.hour, &c.minute, &c.usec} {
		*ch = normalizeChain(*ch)
	}
}

func normalizeChain(ch []component) []component {
	for i := range ch {
		x := &ch[i]
		if x.stop > x.start && x.repeat > 0 {
			x.stop -= (x.stop - x.start) % x.repeat
		}
		if (x.stop > x.start && x.repeat > 0 && x.start+x.repeat > x.stop) || x.start == x.stop {
			x.repeat = 0
			x.stop = -1
		}
	}
	sort.Slice(ch, func(i, j int) bool {
		a, b := ch[i], ch[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.stop != b.stop {
			return a.stop < b.stop
		}
		return a.repeat < b.repeat
	})
	out := ch[:0]
	for i, x := range ch {
		if i > 0 && x == out[len(out)-1] {
			continue
		}
		out = append(out, x)
	}
	return out
}

func (c *Spec) validate() *perr {
	checks := []struct {
		name     string
		ch       []component
		from, to int
		eom      bool
	}{
		{"year", c.year, minYear, maxYear, false},
		{"month", c.month, 1, 12, false},
		{"day", c.day, 1, 31, c.endOfMonth},
		{"hour", c.hour, 0, 23, false},
		{"minute", c.minute, 0, 59, false},
		{"second", c.usec, 0, 60*usecPerSec - 1, false},
	}
	for _, k := range checks {
		if !chainValid(k.ch, k.from, k.to, k.eom) {
			return invalid("%s out of range", k.name)
		}
	}
	return nil
}

func chainValid(ch []component, from, to int, eom bool) bool {
	for _, x := range ch {
		// At most 28 days back from the month's end, and systemd takes
		// that limit 3 days lower again for each further list element
		// ("*-*~27,22" is refused, "*-*~22,25" not).
		if eom {
			to -= 3
		}
		if x.start < from || x.start > to || x.repeat > to-from {
			return false
		}
		if x.stop >= 0 {
			if x.stop < from || x.stop > to || x.start+x.repeat > x.stop {
				return false
			}
		} else if eom && x.start-x.repeat < from {
			return false
		} else if !eom && x.start+x.repeat > to {
			return false
		}
	}
	return true
}
