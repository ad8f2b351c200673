package e2e

import (
	"strings"
	"testing"
	"time"
)

// The start limit (StartLimitIntervalSec=, StartLimitBurst=) holds for
// every start of a unit, as in systemd 257: by hand, by Restart=, by
// OnFailure=. Expected texts as systemd 257 printed them in a capsule.

// TestStartLimitStopsOnFailurePingPong: two units that fail at once and
// name each other in OnFailure= start each other until the default limit
// (5 starts in 10 s) refuses the sixth start of the first; it was failed
// already, so nothing is triggered again and the loop ends.
func TestStartLimitStopsOnFailurePingPong(t *testing.T) {
	c := startCapsule(t, "slpp")
	writeUnits(t, c, map[string]string{
		"slfa.service": "[Unit]\nOnFailure=slfb.service\n[Service]\nExecStart=/bin/false\n",
		"slfb.service": "[Unit]\nOnFailure=slfa.service\n[Service]\nExecStart=/bin/false\n",
	})
	ctlRun(nil, "-C", c, "start", "slfa.service")
	const hit = "slfa.service: Start request repeated too quickly."
	deadline := time.Now().Add(10 * time.Second)
	var logs string
	for {
		logs = ctl(t, 0, "-C", c, "logs", "-n", "1000").stdout
		if strings.Contains(logs, hit) && strings.TrimSpace(ctl(t, 0, "-C", c, "list-jobs").stdout) == "No jobs running." {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the OnFailure= loop goes on after 10 s:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Nothing starts any more once the limit was hit.
	time.Sleep(300 * time.Millisecond)
	logs = ctl(t, 0, "-C", c, "logs", "-n", "1000").stdout
	for _, u := range []string{"slfa", "slfb"} {
		if n := strings.Count(logs, u+".service: Main process exited, code=exited, status=1"); n != 5 {
			t.Errorf("%s.service ran %d times, want 5:\n%s", u, n, logs)
		}
	}
	if n := strings.Count(logs, hit); n != 1 {
		t.Errorf("%q %d times, want once:\n%s", hit, n, logs)
	}
	if got := states(t, c, "slfa.service"); got != "Result=exit-code\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("slfa.service after the limit (its failure result kept):\n%s", got)
	}
}

// TestStartLimitRefusesManualStart: with StartLimitBurst=1 a second start
// by hand fails with systemd's text and result start-limit-hit;
// reset-failed lets the unit start again.
func TestStartLimitRefusesManualStart(t *testing.T) {
	c := startCapsule(t, "slm")
	writeUnits(t, c, map[string]string{
		"slm.service": "[Unit]\nStartLimitBurst=1\nStartLimitIntervalSec=60\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
	})
	if got := ctl(t, 0, "-C", c, "show", "-p", "StartLimitIntervalUSec,StartLimitBurst,StartLimitAction", "slm.service").stdout; got != "StartLimitIntervalUSec=1min\nStartLimitBurst=1\nStartLimitAction=none\n" {
		t.Errorf("show:\n%s", got)
	}
	ctl(t, 0, "-C", c, "start", "slm.service")
	r := ctl(t, 1, "-C", c, "start", "slm.service")
	if want := "Job for slm.service failed because start of the service was attempted too often.\n" +
		"See \"capsulectl -C " + c + " status slm.service\" and \"capsulectl -C " + c + " logs -u slm.service\" for details.\n" +
		"To force a start use \"capsulectl -C " + c + " reset-failed slm.service\"\n" +
		"followed by \"capsulectl -C " + c + " start slm.service\" again.\n"; r.stderr != want {
		t.Errorf("second start:\n%s\nwant stderr:\n%s", r, want)
	}
	if got := states(t, c, "slm.service"); got != "Result=start-limit-hit\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("slm.service after the limit:\n%s", got)
	}
	logs := ctl(t, 0, "-C", c, "logs", "-u", "slm.service").stdout
	if !strings.Contains(logs, "slm.service: Start request repeated too quickly.\n") ||
		!strings.Contains(logs, "slm.service: Failed with result 'start-limit-hit'.\n") {
		t.Errorf("log of slm.service:\n%s", logs)
	}
	ctl(t, 0, "-C", c, "reset-failed", "slm.service")
	ctl(t, 0, "-C", c, "start", "slm.service")
}
