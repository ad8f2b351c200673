package manager

import (
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/unitconf"
)

// TestRateWindow: up to Burst events per window pass, the window opens
// with the first event and a new one with the first event after it ends;
// an interval or burst of 0 lets everything through.
func TestRateWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	tests := []struct {
		name   string
		limit  unitconf.RateLimit
		events []time.Time
		want   []bool
	}{
		{"burst 3", unitconf.RateLimit{Interval: time.Second, Burst: 3}, at(0, 1, 2, 3, 4), []bool{true, true, true, false, false}},
		{"new window", unitconf.RateLimit{Interval: time.Second, Burst: 2}, at(0, 10, 20, 1000, 1010, 1020), []bool{true, true, false, true, true, false}},
		{"interval 0", unitconf.RateLimit{Interval: 0, Burst: 1}, at(0, 1, 2), []bool{true, true, true}},
		{"burst 0", unitconf.RateLimit{Interval: time.Second, Burst: 0}, at(0, 1, 2), []bool{true, true, true}},
	}
	for _, tt := range tests {
		var w rateWindow
		for i, ev := range tt.events {
			if got := w.allow(ev, tt.limit); got != tt.want[i] {
				t.Errorf("%s: event %d: allow=%v, want %v", tt.name, i, got, tt.want[i])
			}
		}
	}
}
