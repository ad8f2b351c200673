package cli

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// run's timer options refuse what systemd-run refuses, in its words; a
// bad calendar expression draws the reason calendar gives for it.
func TestRunTimerOptionErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--on-calendar=bogus"}, "Failed to parse calendar event specification: Invalid argument"},
		{[]string{"--on-calendar=Mon 25:00"}, "Failed to parse calendar event specification: Invalid argument"},
		{[]string{"--on-active=bogus"}, "Failed to parse OnActiveSec=bogus: Invalid argument"},
		{[]string{"--on-active=1h", "--timer-property=Bogus=1"}, "Unknown assignment: Bogus=1"},
		{[]string{"--on-active=1h", "--timer-property=AccuracySec"}, "Failed to parse timer property: AccuracySec"},
		{[]string{"--on-active=1h", "--timer-property=AccuracySec=1s", "--timer-property=Description=x"}, ""},
	}
	for _, tt := range tests {
		var r runTimerOptions
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		r.register(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		err := r.check(&runOptions{})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.args, got, tt.want)
		}
	}
	// calendar gives the same reason for the same expression.
	var out, errOut bytes.Buffer
	err := calendarCommand([]string{"bogus"}, IO{Stdout: &out, Stderr: &errOut}, time.UTC, time.Unix(0, 0))
	if err == nil || !strings.Contains(errOut.String(), "'bogus': Invalid argument\n") {
		t.Errorf("calendar bogus: %v, %q", err, errOut.String())
	}
}
