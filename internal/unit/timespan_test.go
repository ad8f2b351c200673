package unit

import (
	"testing"
	"time"
)

func TestParseTimespan(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90", 90 * time.Second},
		{"5s", 5 * time.Second},
		{"2min", 2 * time.Minute},
		{"1min 30s", 90 * time.Second},
		{"500ms", 500 * time.Millisecond},
		{"infinity", 0},
		{" infinity ", 0},
		{"1h", time.Hour},
		{"1.5s", 1500 * time.Millisecond},
		{"0", 0},
		{"2d", 48 * time.Hour},
		{"10us", 10 * time.Microsecond},
		{"3hours 2m 1sec", 3*time.Hour + 2*time.Minute + time.Second},
	}
	for _, tt := range tests {
		got, err := ParseTimespan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseTimespanErrors(t *testing.T) {
	for _, in := range []string{"abc", "5x", "-5", "s", "1.2.3s", "5 minutes ago", "infinite", ".s"} {
		if d, err := ParseTimespan(in); err == nil {
			t.Errorf("ParseTimespan(%q) = %v, want error", in, d)
		}
	}
}

func TestParseTimespanSystemdForms(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"55s500ms", 55*time.Second + 500*time.Millisecond},
		{"1min30s", 90 * time.Second},
		{"2 h", 2 * time.Hour},
	}
	for _, tt := range tests {
		got, err := ParseTimespan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
