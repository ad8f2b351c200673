package e2e

import (
	"os"
	"testing"
	"time"
)

// TestKillWhomControl: kill --kill-whom=control signals the running
// control process (an ExecStartPre=, an ExecReload=) and nothing else, with
// systemd 257's log line; kill --kill-whom=main leaves the control process
// alone.
func TestKillWhomControl(t *testing.T) {
	c := startCapsule(t, "xpk")
	writeCapsuleFiles(t, c, map[string]string{
		"xpkc.service": "[Service]\nExecStartPre=/bin/sleep 1000\nExecStart=/bin/sleep 1000\n",
		"xpkr.service": "[Service]\nExecReload=/bin/sleep 1000\nExecStart=/bin/sleep 1000\n",
	})
	ctl(t, 0, "-C", c, "start", "--no-block", "xpkc")
	pid := waitNonZero(t, c, "xpkc.service", "ControlPID")
	ctl(t, 0, "-C", c, "kill", "--kill-whom=control", "xpkc")
	waitProperty(t, c, "xpkc.service", "ActiveState", "failed")
	waitCapsuleLog(t, c, "xpkc", "xpkc.service: Sent signal SIGTERM to control process "+pid+" (sleep) on client request.")

	ctl(t, 0, "-C", c, "start", "xpkr")
	ctl(t, 0, "-C", c, "reload", "--no-block", "xpkr")
	ctlPID := waitNonZero(t, c, "xpkr.service", "ControlPID")
	mainPID := showValue(t, c, "xpkr.service", "MainPID")
	ctl(t, 0, "-C", c, "kill", "-s", "KILL", "--kill-whom=control", "xpkr")
	waitProperty(t, c, "xpkr.service", "ActiveState", "active")
	waitCapsuleLog(t, c, "xpkr", "xpkr.service: Sent signal SIGKILL to control process "+ctlPID+" (sleep) on client request.")
	if got := showValue(t, c, "xpkr.service", "MainPID"); got != mainPID {
		t.Errorf("MainPID after killing the control process: %s, want %s (untouched)", got, mainPID)
	}
	if r := ctl(t, 1, "-C", c, "kill", "--kill-whom=control", "xpkr"); r.stderr != "Failed to kill unit xpkr.service: No control process to kill\n" {
		t.Errorf("kill --kill-whom=control with none running: %s", r)
	}
	ctl(t, 0, "-C", c, "kill", "--kill-whom=main", "xpkr")
	waitCapsuleLog(t, c, "xpkr", "xpkr.service: Sent signal SIGTERM to main process "+mainPID+" (sleep) on client request.")
}

// waitNonZero waits until prop of unit is a PID running sleep (so past
// the executor's exec), and returns it.
func waitNonZero(t *testing.T, capsule, unit, prop string) string {
	t.Helper()
	for range 1000 {
		v := showValue(t, capsule, unit, prop)
		if comm, err := os.ReadFile("/proc/" + v + "/comm"); err == nil && string(comm) == "sleep\n" {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s of %s stayed 0", prop, unit)
	return ""
}
