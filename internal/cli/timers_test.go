package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/api"
)

func TestPrintTimers(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	rows := []timerRow{
		{next: now.Add(10 * time.Minute), last: now.Add(-2 * time.Hour), lastMono: true, name: "a.timer", activates: "a.service"},
		{next: now.Add(3 * time.Second), last: now.Add(-time.Hour), name: "stamp.timer", activates: "s.service"},
		{name: "never.timer", activates: "x.service"},
	}
	var b strings.Builder
	printTimers(&b, rows, now, false, true)
	// As systemd 257 aligns them: LEFT and PASSED to the right.
	want := "NEXT                         LEFT LAST                             PASSED UNIT        ACTIVATES\n" +
		"Mon 2026-11-30 12:10:00 UTC 10min Mon 2026-11-30 10:00:00 UTC 2h 0min ago a.timer     a.service\n" +
		"Mon 2026-11-30 12:00:03 UTC    3s Mon 2026-11-30 11:00:00 UTC           - stamp.timer s.service\n" +
		"-                               - -                                     - never.timer x.service\n" +
		"\n3 timers listed.\nPass --all to see loaded but inactive timers, too.\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	// As systemctl --capsule=obs list-timers --all printed it with none.
	b.Reset()
	printTimers(&b, nil, now, true, true)
	if want := "NEXT LEFT LAST PASSED UNIT ACTIVATES\n\n0 timers listed.\n"; b.String() != want {
		t.Errorf("no timers: got %q, want %q", b.String(), want)
	}
}

func TestSortTimers(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	rows := []timerRow{
		{name: "z-unit-active.timer"},
		{next: now.Add(time.Hour), name: "b.timer"},
		{name: "clock.timer", onChange: true},
		{next: now.Add(time.Minute), name: "c.timer"},
		{name: "a-elapsed.timer"},
	}
	sortTimers(rows)
	var got []string
	for _, r := range rows {
		got = append(got, r.name)
	}
	// As systemd 257 listed them (observed: --on-clock-change first).
	if want := "clock.timer c.timer b.timer a-elapsed.timer z-unit-active.timer"; strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	ps := []api.Property{{Name: "OnClockChange", Value: "yes"}, {Name: "SubState", Value: "waiting"}}
	if r := timerRowOf("x.timer", ps, now, 0); !r.onChange {
		t.Error("a waiting OnClockChange= timer with no elapse is not sorted first")
	}
	if r := timerRowOf("x.timer", append(ps, api.Property{Name: "NextElapseUSecRealtime", Value: "Mon 2026-11-30 13:00:00 UTC"}), now, 0); r.onChange {
		t.Error("an OnClockChange= timer with an elapse is sorted first")
	}
}

func TestRelativeSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "now", 500 * time.Microsecond: "500us", 3 * time.Second: "3s", 90 * time.Second: "1min 30s",
		10 * time.Minute: "10min", 90 * time.Minute: "1h 30min", 7 * time.Hour: "7h", 26 * time.Hour: "1 day 2h",
		3 * 24 * time.Hour: "3 days", 9 * 24 * time.Hour: "1 weeks 2 days",
	} {
		if got := relativeSpan(d); got != want {
			t.Errorf("relativeSpan(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestTimerRowOf: the next elapse is the earlier of the two clocks'.
func TestTimerRowOf(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ps := []api.Property{{Name: "Unit", Value: "b.service"}, {Name: "NextElapseUSecRealtime", Value: "Mon 2026-11-30 13:00:00 UTC"},
		{Name: "NextElapseUSecMonotonic", Value: "1h 30min"}, {Name: "LastTriggerUSec", Value: ""}}
	r := timerRowOf("b.timer", ps, now, time.Hour)
	if want := now.Add(30 * time.Minute); !r.next.Equal(want) || r.activates != "b.service" || !r.last.IsZero() {
		t.Errorf("row %+v, want next %v", r, want)
	}
}

// TestPrintTriggers: status's trigger lines as systemctl prints them.
func TestPrintTriggers(t *testing.T) {
	var b strings.Builder
	printTriggers(&b, &api.Unit{Name: "t.timer", Triggers: []string{"t.service"}})
	if want := "    Trigger: n/a\n   Triggers: ● t.service\n"; b.String() != want {
		t.Errorf("timer: %q, want %q", b.String(), want)
	}
	b.Reset()
	printTriggers(&b, &api.Unit{Name: "s.service", TriggeredBy: []string{"s.timer", "s.path"}})
	if want := "TriggeredBy: ● s.timer\n             ● s.path\n"; b.String() != want {
		t.Errorf("service: %q, want %q", b.String(), want)
	}
	// Triggering units are marked by their state, as systemctl 257 does
	// (× failed, ● active); triggered ones always with ●.
	for _, tt := range []struct {
		u    api.Unit
		want string
	}{
		{api.Unit{Name: "s.service", TriggeredBy: []string{"a.socket", "b.socket", "c.socket", "d.socket"},
			TriggeredByStates: []string{"failed", "active", "inactive", "activating"}},
			"TriggeredBy: × a.socket\n             ● b.socket\n             ○ c.socket\n             ● d.socket\n"},
		{api.Unit{Name: "a.socket", Triggers: []string{"s.service"}}, "   Triggers: ● s.service\n"},
	} {
		b.Reset()
		printTriggers(&b, &tt.u)
		if b.String() != tt.want {
			t.Errorf("%s: %q, want %q", tt.u.Name, b.String(), tt.want)
		}
	}
}
