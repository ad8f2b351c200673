package e2e

import (
	"testing"
	"time"
)

// waitState polls show until unit's Result, ActiveState and SubState (in
// systemd's order) read want.
func waitState(t *testing.T, capsule, unit, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		if got = states(t, capsule, unit); got == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: states %q, want %q", unit, got, want)
}

// TestServiceTypes runs the service types' start rules in one capsule,
// with the values systemd 257 shows for them.
func TestServiceTypes(t *testing.T) {
	c := startCapsule(t, "ty")
	writeUnits(t, c, map[string]string{
		// A simple service whose process ends cleanly stays active
		// (exited) with RemainAfterExit=yes.
		"rae.service": "[Service]\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		// No ExecStart= and no Type=: a oneshot.
		"noexec.service": "[Service]\nRemainAfterExit=yes\nExecStop=/bin/true\n",
		// Type=idle runs as simple.
		"idle.service": "[Service]\nType=idle\nExecStart=/bin/sleep 100\n",
	})
	t.Run("RemainAfterExit", func(t *testing.T) {
		ctl(t, 0, "-C", c, "start", "rae.service")
		waitState(t, c, "rae.service", "Result=success\nActiveState=active\nSubState=exited\n")
		if r := ctl(t, 0, "-C", c, "show", "-p", "MainPID", "rae.service"); r.stdout != "MainPID=0\n" {
			t.Errorf("show -p MainPID: %q", r.stdout)
		}
		ctl(t, 0, "-C", c, "stop", "rae.service")
		waitState(t, c, "rae.service", "Result=success\nActiveState=inactive\nSubState=dead\n")
	})
	t.Run("implied oneshot", func(t *testing.T) {
		if r := ctl(t, 0, "-C", c, "show", "-p", "Type,LoadState", "noexec.service"); r.stdout != "Type=oneshot\nLoadState=loaded\n" {
			t.Errorf("show: %q", r.stdout)
		}
		ctl(t, 0, "-C", c, "start", "noexec.service")
		waitState(t, c, "noexec.service", "Result=success\nActiveState=active\nSubState=exited\n")
		ctl(t, 0, "-C", c, "stop", "noexec.service")
	})
	t.Run("idle", func(t *testing.T) {
		ctl(t, 0, "-C", c, "start", "idle.service")
		waitState(t, c, "idle.service", "Result=success\nActiveState=active\nSubState=running\n")
		ctl(t, 0, "-C", c, "stop", "idle.service")
	})
}
