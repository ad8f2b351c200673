package manager

import (
	"context"
	"testing"
	"time"
)

// timerProps reads some of a unit's show properties.
func timerProps(t *testing.T, m *Manager, name string) map[string]string {
	t.Helper()
	ps, err := m.Properties(name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range ps {
		out[p.Name] = p.Value
	}
	return out
}

// TestTimerNextElapseShown: the next elapse is shown only while a timer
// waits (systemd: infinity and no wall clock time otherwise; 0 for a
// calendar-only timer), and a RemainAfterElapse=no timer that went
// inactive shows no last trigger, as systemd 257 does.
func TestTimerNextElapseShown(t *testing.T) {
	m, fake, _ := fakeEngine(t, map[string]string{
		"cal.timer":   "[Timer]\nOnCalendar=2099-01-01\n",
		"cal.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
		"mono.timer":  "[Timer]\nOnActiveSec=1h\nUnit=cal.service\n",
		"once.timer":  "[Timer]\nOnActiveSec=1us\nAccuracySec=1us\nRemainAfterElapse=no\nUnit=cal.service\n",
	})
	ctx := context.Background()
	// real "*": any wall clock time.
	check := func(when, name, real, mono string) {
		t.Helper()
		ps := timerProps(t, m, name)
		realOK := ps["NextElapseUSecRealtime"] == real || real == "*" && ps["NextElapseUSecRealtime"] != ""
		if ps["NextElapseUSecMonotonic"] != mono || !realOK {
			t.Errorf("%s %s: NextElapseUSecRealtime=%q NextElapseUSecMonotonic=%q, want %q and %q",
				when, name, ps["NextElapseUSecRealtime"], ps["NextElapseUSecMonotonic"], real, mono)
		}
	}
	check("never started", "cal.timer", "", "infinity")
	check("never started", "mono.timer", "", "infinity")
	for _, n := range []string{"cal.timer", "mono.timer"} {
		if _, err := m.Start(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	check("waiting", "cal.timer", "*", "0")
	if ps := timerProps(t, m, "mono.timer"); ps["NextElapseUSecMonotonic"] == "0" || ps["NextElapseUSecMonotonic"] == "infinity" || ps["NextElapseUSecRealtime"] != "" {
		t.Errorf("waiting mono.timer: %q %q", ps["NextElapseUSecRealtime"], ps["NextElapseUSecMonotonic"])
	}
	for _, n := range []string{"cal.timer", "mono.timer"} {
		if _, err := m.Stop(ctx, n); err != nil {
			t.Fatal(err)
		}
		check("stopped", n, "", "infinity")
	}

	u, err := m.Start(ctx, "once.timer")
	if err != nil {
		t.Fatal(err)
	}
	spawned(t, fake).ExitCode(0)
	for range 500 {
		if a, _, _ := unitState(m, u); a == stateInactive {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if a, sub, _ := unitState(m, u); a != stateInactive {
		t.Fatalf("RemainAfterElapse=no timer after its run: %s/%s, want inactive", a, sub)
	}
	ps := timerProps(t, m, "once.timer")
	if ps["LastTriggerUSec"] != "" || ps["LastTriggerUSecMonotonic"] != "0" || ps["NextElapseUSecMonotonic"] != "infinity" {
		t.Errorf("RemainAfterElapse=no timer gone inactive: LastTriggerUSec=%q LastTriggerUSecMonotonic=%q NextElapseUSecMonotonic=%q, want \"\", 0, infinity",
			ps["LastTriggerUSec"], ps["LastTriggerUSecMonotonic"], ps["NextElapseUSecMonotonic"])
	}
}
