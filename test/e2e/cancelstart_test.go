package e2e

import (
	"strings"
	"testing"
)

// TestStopKillsStartingOneshot: a stop while a oneshot starts kills its
// command with SIGTERM, which fails a oneshot with result 'signal' (not a
// unit result "canceled"), and the start job of a unit waiting for it
// through Requires=/After= is canceled, that unit untouched (systemd 257,
// observed section 9a).
func TestStopKillsStartingOneshot(t *testing.T) {
	c := startCapsule(t, "stok")
	writeUnits(t, c, map[string]string{
		"x9s.service": "[Service]\nType=oneshot\nExecStart=/bin/sleep 30\n",
		"x9d.service": "[Unit]\nRequires=x9s.service\nAfter=x9s.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	waitD := background(t, "-C", c, "start", "x9d.service")
	waitProperty(t, c, "x9s.service", "ActiveState", "activating")
	ctl(t, 0, "-C", c, "stop", "x9s.service")
	if r := waitD(); r.code != 1 || r.stderr != "Job for x9d.service canceled.\n" {
		t.Errorf("start x9d.service while its requirement was stopped: %s", r)
	}
	if got := states(t, c, "x9s.service"); got != "Result=signal\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("x9s.service stopped while starting:\n%s", got)
	}
	if got := states(t, c, "x9d.service"); got != "Result=success\nActiveState=inactive\nSubState=dead\n" {
		t.Errorf("x9d.service, its start canceled:\n%s", got)
	}
	logs := ctl(t, 0, "-C", c, "logs", "-u", "x9s.service").stdout
	for _, w := range []string{"Starting x9s.service...", "x9s.service: Main process exited, code=killed, status=15/TERM",
		"x9s.service: Failed with result 'signal'.", "Stopped x9s.service."} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs of x9s.service lack %q:\n%s", w, logs)
		}
	}
	if strings.Contains(logs, "Stopping x9s") {
		t.Errorf("a stop of a starting unit logged a Stopping line:\n%s", logs)
	}
}
