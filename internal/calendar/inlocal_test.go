package calendar

import (
	"testing"
	"time"
)

// TestInLocal: only an event without a zone of its own moves to a new
// local zone.
func TestInLocal(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	after := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		expr string
		want time.Time
	}{
		{"*-*-* 03:00:00", time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)},
		{"*-*-* 03:00:00 UTC", time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)},
		{"*-*-* 03:00:00 Europe/Berlin", time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		s, err := ParseInLocation(tc.expr, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := s.InLocal(tokyo).Next(after)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("%q in JST: next %v, want %v", tc.expr, got.UTC(), tc.want)
		}
	}
}
