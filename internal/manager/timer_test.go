package manager

import (
	"context"
	"testing"
	"time"
)

// TestCoalesce: a wake-up lands inside [next, next+accuracy], on the
// coarsest step that fits, shifted by the perturbation.
func TestCoalesce(t *testing.T) {
	const s = int64(1e6)
	tests := []struct {
		next, accuracy, perturb, want int64
	}{
		{next: 100 * s, accuracy: 0, want: 100 * s},
		{next: 100 * s, accuracy: 60 * s, perturb: 7 * s, want: 127 * s},
		{next: 130 * s, accuracy: 60 * s, perturb: 7 * s, want: 187 * s},
		{next: 100*s + 1, accuracy: 1 * s, perturb: 0, want: 101 * s},
		{next: 100*s + 1, accuracy: 1 * s, perturb: 300_000, want: 100*s + 300_000},
		{next: 100*s + 1, accuracy: 1000, perturb: 0, want: 100*s + 1001},
	}
	for _, tc := range tests {
		got := coalesce(tc.next, tc.accuracy, tc.perturb)
		if got != tc.want {
			t.Errorf("coalesce(%d, %d, %d) = %d, want %d", tc.next, tc.accuracy, tc.perturb, got, tc.want)
		}
		if got < tc.next || got > tc.next+tc.accuracy {
			t.Errorf("coalesce(%d, %d, %d) = %d outside the window", tc.next, tc.accuracy, tc.perturb, got)
		}
	}
}

// TestTimerHostEvents injects a clock and a time zone change (setting the
// host's clock would fire every cancel-on-set timer on the host): each
// elapses only the timers that wait for it.
func TestTimerHostEvents(t *testing.T) {
	m, fake, _ := fakeEngine(t, map[string]string{
		"clk.timer":   "[Timer]\nOnClockChange=yes\n",
		"clk.service": "[Service]\nType=oneshot\nExecStart=/bin/true clock\n",
		"tz.timer":    "[Timer]\nOnTimezoneChange=yes\n",
		"tz.service":  "[Service]\nType=oneshot\nExecStart=/bin/true tz\n",
	})
	ctx := context.Background()
	for _, n := range []string{"clk.timer", "tz.timer"} {
		u, err := m.Start(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if a, sub, _ := unitState(m, u); a != stateActive || sub != "waiting" {
			t.Fatalf("%s: %s/%s, want active/waiting", n, a, sub)
		}
	}
	for _, tc := range []struct {
		ev   hostEvent
		want string
	}{{clockChanged, "clock"}, {timezoneChanged, "tz"}} {
		m.timersHostEvent(tc.ev)
		p := spawned(t, fake)
		if got := p.Spec.Argv[len(p.Spec.Argv)-1]; got != tc.want {
			t.Fatalf("event %d started %q, want the %s service", tc.ev, p.Spec.Argv, tc.want)
		}
		p.ExitCode(0)
		select {
		case p := <-fake.Spawned:
			t.Fatalf("event %d also started %q", tc.ev, p.Spec.Argv)
		case <-time.After(100 * time.Millisecond):
		}
	}
	u := m.units["clk.timer"]
	waitSub := func() string {
		for range 500 {
			if _, sub, _ := unitState(m, u); sub == "waiting" {
				return sub
			}
			time.Sleep(10 * time.Millisecond)
		}
		_, sub, _ := unitState(m, u)
		return sub
	}
	if sub := waitSub(); sub != "waiting" {
		t.Errorf("clk.timer after its service ran: %s, want waiting", sub)
	}
}

// TestTimerRandomDelay: RandomizedDelaySec= stays below its bound;
// FixedRandomDelay= draws the same delay for the same unit every time.
func TestTimerRandomDelay(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{
		"fixed.timer":  "[Timer]\nOnActiveSec=1h\nRandomizedDelaySec=1h\nFixedRandomDelay=yes\n",
		"other.timer":  "[Timer]\nOnActiveSec=1h\nRandomizedDelaySec=1h\nFixedRandomDelay=yes\n",
		"random.timer": "[Timer]\nOnActiveSec=1h\nRandomizedDelaySec=1h\n",
	})
	load := func(n string) *Unit {
		u, err := m.load(n)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	fixed, other, random := load("fixed.timer"), load("other.timer"), load("random.timer")
	first := m.timerRandomDelay(fixed)
	seen := map[time.Duration]bool{}
	for range 20 {
		if d := m.timerRandomDelay(fixed); d != first {
			t.Fatalf("FixedRandomDelay=yes gave %v, then %v", first, d)
		}
		d := m.timerRandomDelay(random)
		if d < 0 || d >= time.Hour {
			t.Fatalf("RandomizedDelaySec=1h gave %v", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Error("RandomizedDelaySec= without FixedRandomDelay= drew the same delay 20 times")
	}
	if m.timerRandomDelay(other) == first {
		t.Error("two units got the same fixed delay")
	}
}

// TestTimerReloadRearms: a daemon-reload re-arms a waiting timer's
// OnActiveSec= from the reload, as systemd 257 was seen to do.
func TestTimerReloadRearms(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{
		"r.timer":   "[Timer]\nOnActiveSec=1h\nAccuracySec=1us\n",
		"r.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
	})
	u, err := m.Start(context.Background(), "r.timer")
	if err != nil {
		t.Fatal(err)
	}
	next := func() int64 {
		m.mu.Lock()
		defer m.mu.Unlock()
		return u.timer.nextMono
	}
	before := next()
	time.Sleep(20 * time.Millisecond)
	m.Reload()
	if after := next(); after-before < 20_000 {
		t.Errorf("next elapse %d before the reload, %d after: not counted from the reload", before, after)
	}
	if _, sub, _ := unitState(m, u); sub != "waiting" {
		t.Errorf("after the reload: %s, want waiting", sub)
	}
}
