package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCalendarMatchesSystemdAnalyze compares with what systemd 257 printed
// for the same arguments, captured into testdata with
//
//	chroot /var/tmp/anchor/trixie env TZ=$TZ SYSTEMD_COLORS=0 systemd-analyze calendar \
//	    --iterations=4 --base-time=@1792886400 EXPR... >calendar-$TZ.out 2>calendar-$TZ.err
//
// (TZ's '/' written as '-' in the file names) at the time in now.
func TestCalendarMatchesSystemdAnalyze(t *testing.T) {
	args := []string{"--iterations=4", "--base-time=@1792886400", "Sun *-*-* 02:30", "nonsense",
		"*:*:0/7.5 Europe/Berlin", "2020-01-01", "Mon..Fri *-*~1 02:00..03:00/20 America/New_York", "1h", "weekly"}
	now := time.Unix(1795999256, 0)
	for _, tz := range []string{"Europe/Berlin", "UTC"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		name := "testdata/calendar-" + strings.ReplaceAll(tz, "/", "-")
		wantOut, err := os.ReadFile(name + ".out")
		if err != nil {
			t.Fatal(err)
		}
		wantErr, err := os.ReadFile(name + ".err")
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		err = calendarCommand(args, IO{Stdout: &stdout, Stderr: &stderr}, loc, now)
		if ee, ok := err.(*exitError); !ok || ee.code != exitFailure {
			t.Errorf("%s: got %v, want exit 1", tz, err)
		}
		if got := stdout.String(); got != string(wantOut) {
			t.Errorf("%s stdout:\n%s\nwant:\n%s", tz, got, wantOut)
		}
		if got := stderr.String(); got != string(wantErr) {
			t.Errorf("%s stderr:\n%s\nwant:\n%s", tz, got, wantErr)
		}
	}
}

func TestCalendarArguments(t *testing.T) {
	now := time.Unix(1795999256, 0)
	for _, tc := range []struct {
		args    []string
		code    int
		out     string
		errText string
	}{
		{[]string{}, exitFailure, "", "Too few arguments."},
		{[]string{"--iterations=x", "daily"}, exitFailure, "", "Failed to parse iterations: x"},
		{[]string{"--base-time=x", "daily"}, exitFailure, "", "Failed to parse --base-time= parameter: x\nHint: give 'YYYY-MM-DD [HH:MM[:SS]] [UTC]', '@SECONDS', 'now', 'today', 'yesterday', 'tomorrow', '+SPAN', '-SPAN' or 'SPAN ago'."},
		{[]string{"--base-time=yesterday", "daily"}, 0, "  Original form: daily\nNormalized form: *-*-* 00:00:00\n    Next elapse: Mon 2026-11-30 00:00:00 UTC\n       From now: 40min ago\n", ""},
		{[]string{"--base-time=tomorrow", "daily"}, 0, "  Original form: daily\nNormalized form: *-*-* 00:00:00\n    Next elapse: Wed 2026-12-02 00:00:00 UTC\n       From now: 1 day 23h left\n", ""},
		{[]string{"--base-time=+2h", "hourly"}, 0, "  Original form: hourly\nNormalized form: *-*-* *:00:00\n    Next elapse: Mon 2026-11-30 03:00:00 UTC\n       From now: 2h 19min left\n", ""},
		{[]string{"--base-time=2h ago", "hourly"}, 0, "  Original form: hourly\nNormalized form: *-*-* *:00:00\n    Next elapse: Sun 2026-11-29 23:00:00 UTC\n       From now: 1h 40min ago\n", ""},
		{[]string{"--iterations", "0", "daily"}, 0, "  Original form: daily\nNormalized form: *-*-* 00:00:00\n", ""},
		{[]string{"--base-time", "2026-10-25 00:00 UTC", "daily"}, 0,
			"  Original form: daily\nNormalized form: *-*-* 00:00:00\n    Next elapse: Mon 2026-10-26 00:00:00 UTC\n       From now: 1 month 4 days ago\n", ""},
		// systemd 257 gives up on this one after 1000 steps, printing only
		// the failure, then goes on with the next expression.
		{[]string{"--iterations=1", "--base-time=@1772947720", "Sat,Sun *-9..10-9/13 5..22,4/8,9:39..46,27..29,9:57.453,34/21,59.721 Australia/Lord_Howe", "2020-01-01"}, exitFailure,
			"\n  Original form: 2020-01-01\nNormalized form: 2020-01-01 00:00:00\n    Next elapse: never\n", ""},
		{[]string{"--base-time=@1792886400.5", "*:*:0/0.25"}, 0,
			"  Original form: *:*:0/0.25\nNormalized form: *-*-* *:*:00/0.250000\n    Next elapse: Sun 2026-10-25 00:00:00 UTC\n       From now: 1 month 5 days ago\n", ""},
	} {
		var stdout, stderr bytes.Buffer
		err := calendarCommand(tc.args, IO{Stdout: &stdout, Stderr: &stderr}, time.UTC, now)
		code, msg := 0, ""
		if ee, ok := err.(*exitError); ok {
			code, msg = ee.code, ee.msg
		} else if err != nil {
			t.Errorf("%q: unexpected error %v", tc.args, err)
		}
		if code != tc.code || msg != tc.errText || stdout.String() != tc.out {
			t.Errorf("%q: got exit %d %q, stdout\n%s\nwant exit %d %q, stdout\n%s", tc.args, code, msg, stdout.String(), tc.code, tc.errText, tc.out)
		}
	}
}
