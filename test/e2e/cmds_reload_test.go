package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestReloadShowsNewConfigDuringJob: a daemon-reload while a unit's start
// job runs gives show and status the new configuration at once, as
// systemd's does (the reload replaces it); the job itself goes on.
func TestReloadShowsNewConfigDuringJob(t *testing.T) {
	c := startCapsule(t, "cm")
	writeUnits(t, c, map[string]string{
		"cmjob.service": "[Unit]\nDescription=cm old\n[Service]\nType=notify\nTimeoutStartSec=60\nExecStart=/bin/sleep infinity\n",
	})
	ctl(t, 0, "-C", c, "start", "--no-block", "cmjob.service")
	waitProperty(t, c, "cmjob.service", "SubState", "start")
	if err := os.WriteFile(capsuleUnitFile(c, "cmjob.service"), []byte(
		"[Unit]\nDescription=cm new\n[Service]\nType=notify\nTimeoutStartSec=61\nExecStart=/bin/sleep infinity\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := showValue(t, c, "cmjob.service", "NeedDaemonReload"); got != "yes" {
		t.Errorf("NeedDaemonReload after the file changed: %q", got)
	}
	ctl(t, 0, "-C", c, "daemon-reload")
	for prop, want := range map[string]string{"Description": "cm new", "TimeoutStartUSec": "1min 1s",
		"NeedDaemonReload": "no", "ActiveState": "activating"} {
		if got := showValue(t, c, "cmjob.service", prop); got != want {
			t.Errorf("%s after daemon-reload during the start job: %q, want %q", prop, got, want)
		}
	}
	if r := ctl(t, 3, "-C", c, "status", "-n", "0", "cmjob.service"); !strings.Contains(r.stdout, "cm new") {
		t.Errorf("status after daemon-reload during the start job:\n%s", r.stdout)
	}
	ctl(t, 0, "-C", c, "stop", "cmjob.service")
}
