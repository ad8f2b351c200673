package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTimerTimezoneChangeRecomputes: after a time zone change (injected:
// the host's zone is never touched) a calendar value without a zone of its
// own elapses at its time in the new zone; one naming its zone does not move.
func TestTimerTimezoneChangeRecomputes(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{
		"local.timer":   "[Timer]\nOnCalendar=*-*-* 03:00:00\n",
		"utc.timer":     "[Timer]\nOnCalendar=*-*-* 03:00:00 UTC\nUnit=local.service\n",
		"local.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
	})
	// A zone whose offset differs from this process's local zone now.
	now := time.Now()
	_, localOff := now.Zone()
	name := "Asia/Tokyo"
	if _, off := now.In(mustZone(t, name)).Zone(); off == localOff {
		name = "America/New_York"
	}
	data, err := os.ReadFile(filepath.Join("/usr/share/zoneinfo", name))
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	zoneFile := filepath.Join(t.TempDir(), "localtime")
	if err := os.WriteFile(zoneFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	m.timers.zoneFile = zoneFile
	m.mu.Unlock()
	ctx := context.Background()
	for _, n := range []string{"local.timer", "utc.timer"} {
		if _, err := m.Start(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	next := func(n string) time.Time {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.units[n].timer.calNext[0]
	}
	utcBefore := next("utc.timer")
	if h := next("local.timer").In(time.Local).Hour(); h != 3 {
		t.Fatalf("before the change: next elapse at %v, want 03:00 local", next("local.timer"))
	}
	m.timersHostEvent(timezoneChanged)
	got := next("local.timer").In(mustZone(t, name))
	if got.Hour() != 3 || got.Minute() != 0 || !got.After(time.Now()) || time.Until(got) > 24*time.Hour {
		t.Errorf("after the change to %s: next elapse at %v, want the next 03:00 there", name, got)
	}
	if after := next("utc.timer"); !after.Equal(utcBefore) {
		t.Errorf("a value in UTC moved from %v to %v", utcBefore, after)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no zone %s: %v", name, err)
	}
	return loc
}
