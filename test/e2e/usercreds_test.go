package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestForeignUserInCapsuleFails: a capsule's unit with User=/Group= of
// another user does not run as the capsule's user under a false User= in
// show: the unit fails as systemd's user manager fails it (216/GROUP for
// an existing user it cannot switch to, 217/USER for an unknown one),
// while User= naming the capsule's own user runs.
func TestForeignUserInCapsuleFails(t *testing.T) {
	c := startCapsule(t, "fusr")
	writeUnits(t, c, map[string]string{
		"ux.service": "[Service]\nUser=nobody2nosuch\nExecStart=/bin/sleep infinity\n",
		"uy.service": "[Service]\nUser=nobody\nType=oneshot\nExecStart=/bin/true\n",
		"ug.service": "[Service]\nGroup=nogroup\nExecStart=/bin/sleep infinity\n",
		"uz.service": "[Service]\nUser=c-" + c + "\nExecStart=/bin/sleep infinity\n",
		"up.service": "[Service]\nGroup=nogroup\nExecStartPre=/bin/true\nExecStart=/bin/sleep infinity\n",
	})
	// A simple service's start succeeds and its main process then fails,
	// a oneshot's start fails (observed in 257: start exit 0 for ux and
	// ug, then Result=exit-code, ExecMainStatus=217 and 216).
	for unit, want := range map[string]string{
		"ux.service": "217/USER",
		"uy.service": "216/GROUP",
		"ug.service": "216/GROUP",
	} {
		code := 0
		if unit == "uy.service" {
			code = 1
		}
		ctl(t, code, "-C", c, "start", unit)
		waitProps(t, c, unit, "Result,ActiveState,SubState", "Result=exit-code\nActiveState=failed\nSubState=failed\n", 10*time.Second)
		if got := showValue(t, c, unit, "MainPID"); got != "0" {
			t.Errorf("%s runs: MainPID=%s", unit, got)
		}
		logs := ctl(t, 0, "-C", c, "logs", "-u", unit).stdout
		if !strings.Contains(logs, unit+": Main process exited, code=exited, status="+want) ||
			!strings.Contains(logs, unit+": Failed with result 'exit-code'.") {
			t.Errorf("logs of %s:\n%s", unit, logs)
		}
	}
	// As in systemd 257 (observed): the failure is a process of its own,
	// named on status's Process: and Main PID: lines, that leaves the
	// lines in the log; failing an ExecStartPre=, it is a control process.
	pid := showValue(t, c, "ug.service", "ExecMainPID")
	waitCapsuleLog(t, c, "ug.service", "(sleep)["+pid+"]: ug.service: Failed at step GROUP spawning /bin/sleep: Operation not permitted")
	st := ctlRun(nil, "-C", c, "status", "ug.service").stdout
	if want := "    Process: " + pid + " ExecStart=/bin/sleep infinity (code=exited, status=216/GROUP)\n   Main PID: " + pid +
		" (code=exited, status=216/GROUP)\n"; pid == "0" || !strings.Contains(st, want) {
		t.Errorf("status of ug.service lacks %q:\n%s", want, st)
	}
	ctl(t, 1, "-C", c, "start", "up.service")
	waitCapsuleLog(t, c, "up.service", "up.service: Control process exited, code=exited, status=216/GROUP")
	st = ctlRun(nil, "-C", c, "status", "up.service").stdout
	if !regexp.MustCompile(`\n    Process: \d+ ExecStartPre=/bin/true \(code=exited, status=216/GROUP\)\n`).MatchString(st) || strings.Contains(st, "Main PID:") {
		t.Errorf("status of up.service, failed at ExecStartPre=:\n%s", st)
	}
	if got := showValue(t, c, "up.service", "ExecMainCode"); got != "0" {
		t.Errorf("ExecMainCode of up.service: %s, want 0", got)
	}
	ctl(t, 0, "-C", c, "start", "uz.service")
	if got := showValue(t, c, "uz.service", "ActiveState"); got != "active" {
		t.Errorf("uz.service with the capsule's own user: %s", got)
	}
}
