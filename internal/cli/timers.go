package cli

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/unit"
	"golang.org/x/sys/unix"
)

// timerRow is one line of list-timers.
type timerRow struct {
	next, last      time.Time
	name, activates string
	// lastMono: the last trigger has a monotonic time; one known only from
	// a Persistent= stamp has none, and PASSED shows "-" for it.
	lastMono bool
	// onChange: the timer waits for a clock or time zone change alone;
	// systemd's next elapse of it is 0, so it sorts before every other.
	onChange bool
}

// listTimers prints the loaded timers as systemctl list-timers does: the
// active ones (all loaded ones with --all), soonest first.
func (c *ctl) listTimers(patterns []string) error {
	var rows []timerRow
	err := c.eachListed("timer", "timers", patterns, func(name string, ps []api.Property) {
		rows = append(rows, timerRowOf(name, ps, time.Now(), monotonicNow()))
	})
	if err != nil {
		return err
	}
	sortTimers(rows)
	if c.o.output == "json" {
		return c.json(timersJSON(rows))
	}
	printTimers(c.io.Stdout, rows, time.Now(), c.o.all, !c.o.noLegend)
	return nil
}

// sortTimers orders rows as list-timers does: soonest first, timers
// waiting for a clock or time zone change before all, those with nothing
// to wait for last, then by name.
func sortTimers(rows []timerRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].next, rows[j].next
		switch {
		case rows[i].onChange != rows[j].onChange:
			return rows[i].onChange
		case a.IsZero() != b.IsZero():
			return !a.IsZero()
		case !a.Equal(b):
			return a.Before(b)
		}
		return rows[i].name < rows[j].name
	})
}

func monotonicNow() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

// timerRowOf reads a timer's row from its show properties: its next
// elapse is the earlier of the wall clock's and the monotonic clock's.
func timerRowOf(name string, ps []api.Property, now time.Time, mono time.Duration) timerRow {
	r := timerRow{name: name}
	var onChange, waiting bool
	for _, p := range ps {
		switch p.Name {
		case "OnClockChange", "OnTimezoneChange":
			onChange = onChange || p.Value == "yes"
		case "SubState":
			waiting = p.Value == "waiting"
		case "Unit":
			r.activates = p.Value
		case "LastTriggerUSec":
			r.last = parseTimestamp(p.Value)
		case "LastTriggerUSecMonotonic":
			r.lastMono = p.Value != "" && p.Value != "0"
		case "NextElapseUSecRealtime":
			if t := parseTimestamp(p.Value); !t.IsZero() && (r.next.IsZero() || t.Before(r.next)) {
				r.next = t
			}
		case "NextElapseUSecMonotonic":
			d, err := unit.ParseTimespan(p.Value)
			if err != nil || d == 0 {
				continue
			}
			if t := now.Add(d - mono); r.next.IsZero() || t.Before(r.next) {
				r.next = t
			}
		}
	}
	r.onChange = onChange && waiting && r.next.IsZero()
	return r
}

func parseTimestamp(s string) time.Time {
	t, err := time.ParseInLocation("Mon 2006-01-02 15:04:05 MST", s, time.Local)
	if err != nil {
		return time.Time{}
	}
	return t
}

func timersJSON(rows []timerRow) []map[string]any {
	out := []map[string]any{}
	usec := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UnixMicro()
	}
	for _, r := range rows {
		out = append(out, map[string]any{"next": usec(r.next), "last": usec(r.last), "unit": r.name, "activates": r.activates})
	}
	return out
}

// printTimers prints the table: columns as wide as their widest cell, "-"
// for what is unknown; with legend false (--no-legend) only the rows.
func printTimers(w io.Writer, rows []timerRow, now time.Time, all, legend bool) {
	var cells [][]string
	stampOr := func(t time.Time, f func(time.Time) string) string {
		if t.IsZero() {
			return "-"
		}
		return f(t)
	}
	for _, r := range rows {
		passed := r.last
		if !r.lastMono {
			passed = time.Time{}
		}
		cells = append(cells, []string{
			stampOr(r.next, func(t time.Time) string { return t.Format("Mon 2006-01-02 15:04:05 MST") }),
			stampOr(r.next, func(t time.Time) string { return relativeSpan(t.Sub(now)) }),
			stampOr(r.last, func(t time.Time) string { return t.Format("Mon 2006-01-02 15:04:05 MST") }),
			stampOr(passed, func(t time.Time) string { return relativeSpan(now.Sub(t)) + " ago" }),
			printable(r.name), printable(r.activates),
		})
	}
	// LEFT and PASSED are right-aligned.
	printListTable(w, []string{"NEXT", "LEFT", "LAST", "PASSED", "UNIT", "ACTIVATES"}, cells, map[int]bool{1: true, 3: true}, legend)
	if !legend {
		return
	}
	fmt.Fprintf(w, "\n%d timers listed.\n", len(rows))
	if !all {
		fmt.Fprintln(w, "Pass --all to see loaded but inactive timers, too.")
	}
}

// relativeSpan words a span as systemd's relative timestamps do: the two
// largest units at most, coarser the longer it is.
func relativeSpan(d time.Duration) string {
	if d <= 0 {
		return "now"
	}
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	const month, year = 2629800 * time.Second, 31557600 * time.Second
	switch {
	case d >= year:
		return fmt.Sprintf("%d years %d months", d/year, d%year/month)
	case d >= month:
		return fmt.Sprintf("%d months %d days", d/month, d%month/day)
	case d >= week:
		return fmt.Sprintf("%d weeks %d days", d/week, d%week/day)
	case d >= 2*day:
		return fmt.Sprintf("%d days", d/day)
	case d >= 25*time.Hour:
		return fmt.Sprintf("1 day %dh", (d-day)/time.Hour)
	case d >= 6*time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dmin", d/time.Hour, d%time.Hour/time.Minute)
	case d >= 5*time.Minute:
		return fmt.Sprintf("%dmin", d/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dmin %ds", d/time.Minute, d%time.Minute/time.Second)
	case d >= time.Second:
		return fmt.Sprintf("%ds", d/time.Second)
	case d >= time.Millisecond:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	}
	return fmt.Sprintf("%dus", d/time.Microsecond)
}

// printTriggers prints status's TriggeredBy:, a timer's Trigger: and
// Triggers: lines, as systemctl does.
func printTriggers(w io.Writer, u *api.Unit) {
	list := func(label string, names []string, glyph func(i int) string) {
		for i, n := range names {
			if i == 0 {
				fmt.Fprintf(w, "%s %s %s\n", label, glyph(i), printable(n))
			} else {
				fmt.Fprintf(w, "%*s %s %s\n", len(label), "", glyph(i), printable(n))
			}
		}
	}
	// systemctl 257 marks a triggering unit by its state (× failed, ○
	// inactive) and a triggered one always with ●.
	list("TriggeredBy:", u.TriggeredBy, func(i int) string {
		if i < len(u.TriggeredByStates) {
			return triggerGlyph(u.TriggeredByStates[i])
		}
		return "●"
	})
	if n, err := unit.ParseName(u.Name); err == nil && n.Type == "timer" {
		trigger := "n/a"
		if u.TimerNext != 0 {
			t := time.UnixMicro(u.TimerNext)
			trigger = fmt.Sprintf("%s; %s left", t.Format("Mon 2006-01-02 15:04:05 MST"), relativeSpan(time.Until(t)))
		}
		fmt.Fprintf(w, "    Trigger: %s\n", trigger)
	}
	list("   Triggers:", u.Triggers, func(int) string { return "●" })
}

// triggerGlyph is the mark of a unit in state (an ActiveState).
func triggerGlyph(state string) string {
	switch state {
	case "failed":
		return "×"
	case "inactive", "maintenance":
		return "○"
	}
	return "●"
}
