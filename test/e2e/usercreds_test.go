package e2e

import (
	"strings"
	"testing"
)

// TestForeignUserInCapsuleFails: a capsule's unit with User=/Group= of
// another user does not run as the capsule's user under a false User= in
// show: the start fails as systemd's user manager fails it (216/GROUP for
// an existing user it cannot switch to, 217/USER for an unknown one),
// while User= naming the capsule's own user runs.
func TestForeignUserInCapsuleFails(t *testing.T) {
	c := startCapsule(t, "fusr")
	writeUnits(t, c, map[string]string{
		"ux.service": "[Service]\nUser=nobody2nosuch\nExecStart=/bin/sleep infinity\n",
		"uy.service": "[Service]\nUser=nobody\nType=oneshot\nExecStart=/bin/true\n",
		"ug.service": "[Service]\nGroup=nogroup\nExecStart=/bin/sleep infinity\n",
		"uz.service": "[Service]\nUser=c-" + c + "\nExecStart=/bin/sleep infinity\n",
	})
	for unit, want := range map[string]string{
		"ux.service": "217/USER",
		"uy.service": "216/GROUP",
		"ug.service": "216/GROUP",
	} {
		ctl(t, 1, "-C", c, "start", unit)
		if got := states(t, c, unit); got != "Result=exit-code\nActiveState=failed\nSubState=failed\n" {
			t.Errorf("%s:\n%s", unit, got)
		}
		if got := showValue(t, c, unit, "MainPID"); got != "0" {
			t.Errorf("%s runs: MainPID=%s", unit, got)
		}
		logs := ctl(t, 0, "-C", c, "logs", "-u", unit).stdout
		if !strings.Contains(logs, unit+": Main process exited, code=exited, status="+want) ||
			!strings.Contains(logs, unit+": Failed with result 'exit-code'.") {
			t.Errorf("logs of %s:\n%s", unit, logs)
		}
	}
	ctl(t, 0, "-C", c, "start", "uz.service")
	if got := showValue(t, c, "uz.service", "ActiveState"); got != "active" {
		t.Errorf("uz.service with the capsule's own user: %s", got)
	}
}
