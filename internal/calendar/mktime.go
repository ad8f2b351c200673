package calendar

import "time"

// brokenDown is a C struct tm: year counts from 1900, month from 0, and
// the fields may be out of range before normalization; isdst is -1
// (unknown), 0 or 1.
type brokenDown struct {
	year, mon, mday, hour, min, sec int
	isdst                           int
	wday                            int
}

// clock converts between seconds since the epoch and broken-down time in
// one zone with the C library's rules. The next-elapse search depends on
// how mktime resolves times that do not exist or exist twice (daylight
// saving changes), so this follows glibc's mktime: probing from the UTC
// offset of the previous conversion (off), and preferring the daylight
// side of a gap. off lives here, per computation, instead of in a global.
type clock struct {
	loc *time.Location
	utc bool
	off int64 // result minus requested wall time of the last conversion
}

func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// wallSeconds reads a normalized-year wall time as if it were UTC.
func wallSeconds(year, mon, mday, hour, min, sec int) int64 {
	// mon is within 0..11 here; mday, hour, min, sec may be out of range.
	days := daysFromCivil(int64(year)+1900, int64(mon)+1, 1) + int64(mday) - 1
	return days*86400 + int64(hour)*3600 + int64(min)*60 + int64(sec)
}

func (k *clock) localtime(t int64) brokenDown {
	tt := time.Unix(t, 0)
	if k.utc {
		tt = tt.UTC()
	} else {
		tt = tt.In(k.loc)
	}
	dst := 0
	if !k.utc && tt.IsDST() {
		dst = 1
	}
	return brokenDown{
		year: tt.Year() - 1900, mon: int(tt.Month()) - 1, mday: tt.Day(),
		hour: tt.Hour(), min: tt.Minute(), sec: tt.Second(),
		isdst: dst, wday: int(tt.Weekday()),
	}
}

func (b brokenDown) wall() int64 {
	return wallSeconds(b.year, b.mon, b.mday, b.hour, b.min, b.sec)
}

func isdstDiffer(a, b int) bool {
	return (a == 0) != (b == 0) && a >= 0 && b >= 0
}

// mktime normalizes *tm and returns its time, as mktime (local zone) or
// timegm (utc) do; false when there is none, leaving *tm alone. Times
// before 1969 or after the 64-bit microsecond range are refused, as
// systemd refuses them.
func (k *clock) mktime(tm *brokenDown) (int64, bool) {
	if tm.year < 69 {
		return 0, false
	}
	t, ok := k.convert(tm)
	if !ok || t < 0 || uint64(t) >= ^uint64(0)/usecPerSec {
		return 0, false
	}
	return t, true
}

func (k *clock) convert(tm *brokenDown) (int64, bool) {
	year, mon := tm.year, tm.mon
	year += mon / 12
	mon %= 12
	if mon < 0 {
		mon += 12
		year--
	}
	sec := tm.sec
	if sec < 0 {
		sec = 0
	}
	if sec > 59 {
		sec = 59
	}
	wall := wallSeconds(year, mon, tm.mday, tm.hour, tm.min, sec)
	if k.utc {
		t := wall + int64(tm.sec-sec)
		*tm = k.localtime(t)
		return t, true
	}
	isdst := tm.isdst
	t := wall + k.off
	t1, t2 := t, t
	dst2 := false
	remaining := 6
	var lt brokenDown
	matched := false
	for {
		lt = k.localtime(t)
		dt := wall - lt.wall()
		if dt == 0 {
			matched = true
			break
		}
		ltDST := lt.isdst != 0
		if t == t1 && t != t2 {
			// Oscillating around a gap: take the side whose daylight
			// flag differs from the requested one (daylight if none).
			if (isdst < 0 && (!dst2 || ltDST)) || (isdst >= 0 && (isdst != 0) != ltDST) {
				break
			}
		}
		remaining--
		if remaining == 0 {
			return 0, false
		}
		t1, t2 = t2, t
		t += dt
		dst2 = ltDST
	}
	if matched && isdstDiffer(isdst, lt.isdst) {
		// The wall time exists but with the other daylight flag: use the
		// offset of the nearest time that has the requested flag.
		const stride, durationMax = 601200, 536454000
		found := false
	search:
		for delta := int64(stride); delta < durationMax/2+stride; delta += stride {
			for _, dir := range []int64{-1, 1} {
				ot := t + delta*dir
				otm := k.localtime(ot)
				if !isdstDiffer(isdst, otm.isdst) {
					t = ot + (wall - otm.wall())
					lt = k.localtime(t)
					found = true
					break search
				}
			}
		}
		if !found {
			return 0, false
		}
	}
	k.off = t - wall
	if tm.sec != lt.sec {
		adj := int64(tm.sec - sec)
		if sec == 0 && lt.sec == 60 {
			adj++
		}
		t += adj
		lt = k.localtime(t)
	}
	*tm = lt
	return t, true
}
