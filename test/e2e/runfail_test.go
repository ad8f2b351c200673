package e2e

import (
	"strings"
	"testing"
)

// TestRunFailedStartKeepsUnit: a transient service whose start fails is
// reported as systemd-run 257 reports it ("Job for X failed because
// ..."), and the failed unit stays, with its result, until reset-failed.
// In the system manager and in a capsule.
func TestRunFailedStartKeepsUnit(t *testing.T) {
	c := startCapsule(t, "rfk")
	for _, where := range [][]string{nil, {"-C", c}} {
		on := func(args ...string) []string { return append(append([]string{}, where...), args...) }
		ctlName := "capsulectl" + strings.Join(append([]string{""}, where...), " ")
		unit := "faenvf.service"
		r := ctl(t, 1, on("run", "-u", unit, "-p", "EnvironmentFile=/nonexistent.env", "/bin/true")...)
		want := "Job for faenvf.service failed because of unavailable resources or another system error.\n" +
			`See "` + ctlName + ` status faenvf.service" and "` + ctlName + ` logs -u faenvf.service" for details.` + "\n"
		if r.stderr != want {
			t.Errorf("%v: run printed %q, want %q", where, r.stderr, want)
		}
		show := ctl(t, 0, on("show", "-p", "LoadState,ActiveState,Result", unit)...).stdout
		if want := "Result=resources\nLoadState=loaded\nActiveState=failed\n"; show != want {
			t.Errorf("%v: show after the failed start: %q, want %q", where, show, want)
		}
		if st := ctlRun(nil, on("status", unit)...); st.code != 3 || !strings.Contains(st.stdout, "Active: failed (Result: resources)") {
			t.Errorf("%v: status after the failed start: %s", where, st)
		}
		ctl(t, 0, on("reset-failed", unit)...)
		ctl(t, 4, on("status", unit)...)
	}
}
