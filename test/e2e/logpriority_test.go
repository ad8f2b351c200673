package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestManagerLinePriorities: the manager logs each line of a failing
// service at the level systemd 257 does (journalctl -o json of the real
// one), so logs -p err shows the failed start. In the system manager and
// in a capsule.
func TestManagerLinePriorities(t *testing.T) {
	c := startCapsule(t, "lpr")
	for _, where := range [][]string{nil, {"-C", c}} {
		on := func(args ...string) []string { return append(append([]string{}, where...), args...) }
		unit := "falpr.service"
		ctl(t, 0, on("run", "-q", "-u", unit, "-p", "Restart=on-failure", "-p", "RestartSec=50ms",
			"-p", "StartLimitBurst=2", "sh", "-c", "exit 3")...)
		want := []string{
			"5 falpr.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED",
			"4 falpr.service: Failed with result 'exit-code'.",
			"6 falpr.service: Scheduled restart job, restart counter is at 1.",
			"4 falpr.service: Start request repeated too quickly.",
			"3 Failed to start falpr.service - ",
		}
		var got string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			got = levels(t, ctl(t, 0, on("logs", "-u", unit, "-o", "json")...).stdout)
			if strings.Contains(got, "Failed to start") {
				break
			}
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: log lacks %q:\n%s", where, w, got)
			}
		}
		errs := ctl(t, 0, on("logs", "-u", unit, "-p", "err", "-o", "cat")...).stdout
		if !strings.HasPrefix(errs, "Failed to start falpr.service - ") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: logs -p err: %q", where, errs)
		}
		ctlRun(nil, on("reset-failed", unit)...)
	}
}

// levels renders journal JSON lines as "PRIORITY MESSAGE" lines.
func levels(t *testing.T, out string) string {
	t.Helper()
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct{ PRIORITY, MESSAGE string }
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		fmt.Fprintf(&b, "%s %s\n", e.PRIORITY, e.MESSAGE)
	}
	return b.String()
}
