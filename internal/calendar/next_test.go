package calendar

import (
	"testing"
	"time"
)

// The table of systemd's output has whole seconds only; these check the
// microseconds and the strictly-after rule.
func TestNextSubSecond(t *testing.T) {
	base := time.Unix(1792886400, 0) // 2026-10-25 00:00:00 UTC
	for _, tc := range []struct {
		expr  string
		after time.Time
		want  []time.Duration // offsets from base
	}{
		{"*:*:0/7.5", base, []time.Duration{7500 * time.Millisecond, 15 * time.Second, 22500 * time.Millisecond}},
		{"*:*:0/0.25", base.Add(100 * time.Millisecond), []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{"*:*:1.000001", base, []time.Duration{time.Second + time.Microsecond, time.Minute + time.Second + time.Microsecond}},
		// Strictly after: a base on an elapse gives the following one; the
		// base is taken to the microsecond.
		{"*:*:*", base, []time.Duration{time.Second, 2 * time.Second}},
		{"*:*:*", base.Add(999999999), []time.Duration{time.Second, 2 * time.Second}},
	} {
		sp, err := ParseInLocation(tc.expr, time.UTC)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		at := tc.after
		for i, w := range tc.want {
			n, ok := sp.Next(at)
			if !ok || !n.Equal(base.Add(w)) {
				t.Errorf("%q elapse %d after %v: got %v %v, want %v", tc.expr, i+1, at, n.UTC(), ok, base.Add(w).UTC())
				break
			}
			at = n
		}
	}
}

func TestNextNever(t *testing.T) {
	for _, expr := range []string{"2020-01-01", "*-02-30", "2199-12-31 23:59:59 UTC"} {
		sp, err := ParseInLocation(expr, time.UTC)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		after := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
		if expr == "2020-01-01" || expr == "*-02-30" {
			after = time.Unix(1792886400, 0)
		}
		if n, ok := sp.Next(after); ok {
			t.Errorf("%q: got %v, want never", expr, n)
		}
	}
}
