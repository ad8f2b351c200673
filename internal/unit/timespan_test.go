package unit

import (
	"math"
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

// Units and ranges as systemd 257's parse_sec takes them (time-util.c).
func TestParseTimespanUnitsAndRange(t *testing.T) {
	const month = 2_629_800 * time.Second
	const year = 31_557_600 * time.Second
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "1w", want: 7 * 24 * time.Hour},
		{in: "2weeks", want: 14 * 24 * time.Hour},
		{in: "1week 1d", want: 8 * 24 * time.Hour},
		{in: "1M", want: month},
		{in: "2months", want: 2 * month},
		{in: "1y", want: year},
		{in: "1.5y", want: year + year/2},
		{in: "3years", want: 3 * year},
		{in: "5\u00b5s", want: 5 * time.Microsecond},
		{in: "5\u03bcs", want: 5 * time.Microsecond},
		{in: "+5s", want: 5 * time.Second},
		{in: "5 6", want: 11 * time.Second},
		{in: "1.25", want: 1250 * time.Millisecond},
		{in: "0.5m", want: 30 * time.Second},
		{in: "1.5ms", want: 1500 * time.Microsecond},
		// Beyond time.Duration (292 years) but within systemd's counter:
		// the largest Duration, which means never.
		{in: "300y", want: math.MaxInt64},
		{in: "9223372036854775807us", want: math.MaxInt64},
		// Beyond systemd's 64-bit microsecond counter: refused.
		{in: "18446744073709551615us", wantErr: true},
		{in: "9223372036854775807y", wantErr: true},
		{in: "600000y", wantErr: true},
		{in: "-0", wantErr: true},
		{in: "3.sec", wantErr: true},
		{in: "3. 1", wantErr: true},
		{in: "12.34.56", wantErr: true},
		{in: "infinity s", wantErr: true},
		{in: "", wantErr: true},
		{in: "   ", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseTimespan(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseTimespan(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
