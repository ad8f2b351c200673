package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/calendar"
	"github.com/capsuled/capsuled/internal/unit"
)

// calendarCommand is "capsulectl calendar [--iterations=N]
// [--base-time=TIME] EXPR...": what "systemd-analyze calendar" prints for
// each calendar event of systemd.time(7), computed here without a
// manager. local is the zone times are shown in, now the clock for
// "From now".
func calendarCommand(args []string, stdio IO, local *time.Location, now time.Time) error {
	iterations := 1
	base := now
	var exprs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			exprs = append(exprs, args[i+1:]...)
			break
		}
		name, val, hasVal := strings.Cut(a, "=")
		switch name {
		case "--iterations", "--base-time":
			if !hasVal {
				if i+1 >= len(args) {
					return fail(exitFailure, "option '%s' requires an argument", name)
				}
				i++
				val = args[i]
			}
			if name == "--iterations" {
				n, err := strconv.ParseUint(val, 10, 32)
				if err != nil {
					return fail(exitFailure, "Failed to parse iterations: %s", val)
				}
				iterations = int(n)
			} else {
				t, err := parseBaseTime(val, local, now)
				if err != nil {
					return fail(exitFailure, "Failed to parse --base-time= parameter: %s\nHint: give 'YYYY-MM-DD [HH:MM[:SS]] [UTC]', '@SECONDS', 'now', 'today', 'yesterday', 'tomorrow', '+SPAN', '-SPAN' or 'SPAN ago'.", val)
				}
				base = t
			}
		default:
			if strings.HasPrefix(a, "--") {
				return fail(exitFailure, "unrecognized option '%s'", a)
			}
			exprs = append(exprs, a)
		}
	}
	if len(exprs) == 0 {
		return fail(exitFailure, "Too few arguments.")
	}
	var failed error
	for i, e := range exprs {
		if err := calendarOne(stdio, e, local, base, now, iterations); err != nil && failed == nil {
			failed = err
		}
		if i+1 < len(exprs) {
			fmt.Fprintln(stdio.Stdout)
		}
	}
	if failed != nil {
		return &exitError{code: exitFailure}
	}
	return nil
}

func calendarOne(stdio IO, expr string, local *time.Location, base, now time.Time, iterations int) error {
	spec, err := calendar.ParseInLocation(expr, local)
	if err != nil {
		text := err.Error()
		var ce *calendar.Error
		if errors.As(err, &ce) {
			text = ce.Strerror()
		}
		fmt.Fprintf(stdio.Stderr, "Failed to parse calendar specification '%s': %s\n", expr, text)
		if _, terr := unit.ParseTimespan(expr); terr == nil {
			fmt.Fprintf(stdio.Stderr, "Hint: this expression is a valid timespan: a timer takes it in OnActiveSec= or another monotonic setting (capsulectl run --on-active=%s) instead?\n", expr)
		}
		return err
	}
	var rows [][2]string
	norm := spec.String()
	if norm != expr {
		rows = append(rows, [2]string{"Original form", expr})
	}
	rows = append(rows, [2]string{"Normalized form", norm})
	inUTC := zoneIsUTC(local)
	at := base
	for i := 0; i < iterations; i++ {
		next, err := spec.NextElapse(at)
		if errors.Is(err, calendar.ErrNever) {
			if i == 0 {
				rows = append(rows, [2]string{"Next elapse", "never"})
			}
			break
		}
		if err != nil {
			// systemd-analyze prints nothing of this event then.
			text := err.Error()
			var ce *calendar.Error
			if errors.As(err, &ce) {
				text = ce.Strerror()
			}
			fmt.Fprintf(stdio.Stderr, "Failed to determine next elapse for '%s': %s\n", expr, text)
			return err
		}
		field := "Next elapse"
		if i > 0 {
			field = fmt.Sprintf("Iteration #%d", i+1)
		}
		rows = append(rows, [2]string{field, formatStamp(next.In(local))})
		if !inUTC {
			rows = append(rows, [2]string{"(in UTC)", formatStamp(next.UTC())})
		}
		rows = append(rows, [2]string{"From now", formatRelative(now, next)})
		at = next
	}
	printVertical(stdio.Stdout, rows)
	return nil
}

// printVertical prints "field: value" lines with the fields right-aligned,
// as systemd's vertical tables do.
func printVertical(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%*s: %s\n", width, r[0], r[1])
	}
}

func formatStamp(t time.Time) string {
	return t.Format("Mon 2006-01-02 15:04:05 MST")
}

// zoneIsUTC reports whether a zone is UTC all year (then systemd-analyze
// leaves out the "(in UTC)" lines).
func zoneIsUTC(loc *time.Location) bool {
	for _, m := range []time.Month{time.January, time.July} {
		t := time.Date(time.Now().Year(), m, 1, 0, 0, 0, 0, loc)
		if _, off := t.Zone(); off != 0 || t.IsDST() {
			return false
		}
	}
	return true
}

// formatRelative says how far t is from now in systemd's words ("3h
// 5min left", "1 month 5 days ago").
func formatRelative(now, t time.Time) string {
	const (
		usec  = int64(1)
		msec  = 1000 * usec
		sec   = 1000 * msec
		min   = 60 * sec
		hour  = 60 * min
		day   = 24 * hour
		week  = 7 * day
		month = 2629800 * sec
		year  = 31557600 * sec
	)
	d := t.Sub(now).Microseconds()
	s := "left"
	if d < 0 {
		d, s = -d, "ago"
	}
	plural := func(n int64, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	}
	switch {
	case d >= year:
		y, m := d/year, d%year/month
		return fmt.Sprintf("%d %s %d %s %s", y, plural(y, "year", "years"), m, plural(m, "month", "months"), s)
	case d >= month:
		m, dd := d/month, d%month/day
		return fmt.Sprintf("%d %s %d %s %s", m, plural(m, "month", "months"), dd, plural(dd, "day", "days"), s)
	case d >= week:
		w, dd := d/week, d%week/day
		return fmt.Sprintf("%d %s %d %s %s", w, plural(w, "week", "weeks"), dd, plural(dd, "day", "days"), s)
	case d >= 2*day:
		return fmt.Sprintf("%d days %s", d/day, s)
	case d >= 25*hour:
		return fmt.Sprintf("1 day %dh %s", (d-day)/hour, s)
	case d >= 6*hour:
		return fmt.Sprintf("%dh %s", d/hour, s)
	case d >= hour:
		return fmt.Sprintf("%dh %dmin %s", d/hour, d%hour/min, s)
	case d >= 5*min:
		return fmt.Sprintf("%dmin %s", d/min, s)
	case d >= min:
		return fmt.Sprintf("%dmin %ds %s", d/min, d%min/sec, s)
	case d >= sec:
		return fmt.Sprintf("%ds %s", d/sec, s)
	case d >= msec:
		return fmt.Sprintf("%dms %s", d/msec, s)
	case d > 0:
		return fmt.Sprintf("%dus %s", d, s)
	}
	return "now"
}

// parseBaseTime accepts the forms of --base-time= that matter for
// checking an expression: "@SECONDS[.FRACTION]", "now", and
// "YYYY-MM-DD[ HH:MM[:SS]][ UTC]" in the local zone.
func parseBaseTime(v string, local *time.Location, now time.Time) (time.Time, error) {
	switch v {
	case "now":
		return now, nil
	case "today", "yesterday", "tomorrow":
		y, mo, d := now.In(local).Date()
		d += map[string]int{"yesterday": -1, "tomorrow": 1}[v]
		return time.Date(y, mo, d, 0, 0, 0, 0, local), nil
	}
	// Relative: "+1h", "-2d", "3h ago", as systemd's timestamps take them.
	if rest, ok := strings.CutSuffix(v, " ago"); ok {
		if d, err := unit.ParseTimespan(rest); err == nil {
			return now.Add(-d), nil
		}
	}
	if len(v) > 1 && (v[0] == '+' || v[0] == '-') {
		if d, err := unit.ParseTimespan(v[1:]); err == nil {
			if v[0] == '-' {
				d = -d
			}
			return now.Add(d), nil
		}
	}
	if rest, ok := strings.CutPrefix(v, "@"); ok {
		secs, frac, _ := strings.Cut(rest, ".")
		n, err := strconv.ParseInt(secs, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("bad timestamp %q", v)
		}
		var ns int64
		if frac != "" {
			f, err := strconv.ParseFloat("0."+frac, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("bad timestamp %q", v)
			}
			ns = int64(f*1e6) * 1000
		}
		return time.Unix(n, ns), nil
	}
	loc := local
	if s, ok := strings.CutSuffix(v, " UTC"); ok {
		v, loc = s, time.UTC
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad timestamp %q", v)
}
