package calendar

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseNormalizes(t *testing.T) {
	berlin, ok := loadZone("Europe/Berlin")
	if !ok {
		t.Fatal("no Europe/Berlin in " + zoneinfoDir)
	}
	for _, tc := range []struct{ in, want string }{
		{"daily", "*-*-* 00:00:00"},
		{"Sat,Mon..Wed 9:5", "Mon..Wed,Sat *-*-* 09:05:00"},
		{"Fri-Sun", "Fri..Sun *-*-* 00:00:00"},
		{"mon,tue,thu", "Mon,Tue,Thu *-*-* 00:00:00"},
		{"*-*-1,1,3 *:*:1.5", "*-*-01,03 *:*:01.500000"},
		{"26-2~1..3 1:0/20", "2026-02~01..03 01:00/20:00"},
		{"*:*:0/0.25", "*-*-* *:*:00/0.250000"},
		{"*-*-* 0..20/6:00", "*-*-* 00..18/6:00:00"},
		{"@0", "1970-01-01 00:00:00 UTC"},
		{"12:00 utc", "*-*-* 12:00:00 UTC"},
		{"hourly Europe/Berlin", "*-*-* *:00:00 Europe/Berlin"},
		{"*-*-* 02:30 CEST", "*-*-* 02:30:00 CEST"},
		{"*-*-* 02:30 UTC", "*-*-* 02:30:00 UTC"},
		{"Mon", "Mon *-*-* 00:00:00"},
	} {
		sp, err := ParseInLocation(tc.in, berlin)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := sp.String(); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		in     string
		errno  syscall.Errno
		reason string
	}{
		{"", syscall.EINVAL, "empty"},
		{"Fri..Mon", syscall.EINVAL, "backwards"},
		{"Mon..", syscall.EINVAL, "open weekday range"},
		{"Mond", syscall.EINVAL, "bad weekday"},
		{"*-*-* 25:00", syscall.EINVAL, "hour out of range"},
		{"*-*~29", syscall.EINVAL, "day out of range"},
		{"*:*:5..5.5", syscall.EINVAL, "shorter than one second"},
		{"*:0/0", syscall.ERANGE, "repetition of 0"},
		{"12", syscall.EINVAL, "expected ':'"},
		{"1-2-3-4", syscall.EINVAL, "after the date"},
		{"*:*:1.", syscall.EINVAL, "decimal point"},
		{"99999999999999999999-1-1", syscall.ERANGE, "too large"},
		{"1," + strings.Repeat("1,", 300) + "1:00", syscall.ENOBUFS, "too many"},
		{"*-*-* 0:0 Mars/Phobos", syscall.EINVAL, "Mars/Phobos"},
	} {
		_, err := ParseInLocation(tc.in, time.UTC)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: got %v, want an *Error", tc.in, err)
			continue
		}
		if e.Errno != tc.errno || !strings.Contains(e.Error(), tc.reason) {
			t.Errorf("%q: got %v (%v), want %v naming %q", tc.in, err, e.Errno, tc.errno, tc.reason)
		}
	}
}
