package manager

import "testing"

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
