package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestStatusSinceAndExitedMainPID checks two status lines as systemctl
// 257 shows them: an exited service names its main PID with the status's
// name, and "since" is when the unit became active (ActiveEnterTimestamp),
// not its later change of sub-state (a timer from waiting to running).
func TestStatusSinceAndExitedMainPID(t *testing.T) {
	c := startCapsule(t, "stx")
	writeUnits(t, c, map[string]string{
		"stx.service":  "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		"stxt.timer":   "[Timer]\nOnActiveSec=1.2s\nAccuracySec=1us\n",
		"stxt.service": "[Service]\nExecStart=/bin/sleep infinity\n",
	})
	show := func(u, p string) string {
		return strings.TrimSpace(ctl(t, 0, "-C", c, "show", "-P", p, u).stdout)
	}
	ctl(t, 0, "-C", c, "start", "stx.service", "stxt.timer")
	out := ctlRun(nil, "-C", c, "status", "stx.service").stdout
	if want := "   Main PID: " + show("stx.service", "ExecMainPID") + " (code=exited, status=0/SUCCESS)"; !strings.Contains(out, want) {
		t.Errorf("status lacks %q:\n%s", want, out)
	}
	for i := 0; i < 100 && show("stxt.timer", "SubState") != "running"; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	out = ctlRun(nil, "-C", c, "status", "stxt.timer").stdout
	enter := show("stxt.timer", "ActiveEnterTimestamp")
	if want := "active (running) since " + enter + ";"; enter == "" || !strings.Contains(out, want) {
		t.Errorf("status lacks %q (StateChangeTimestamp %s):\n%s", want, show("stxt.timer", "StateChangeTimestamp"), out)
	}
}
