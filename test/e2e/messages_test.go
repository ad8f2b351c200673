package e2e

import (
	"strings"
	"testing"
)

// TestJobFailureMessages starts units whose jobs end badly in a capsule and
// checks capsulectl prints what systemctl 257 prints for each result, with
// capsulectl's own command forms in the hints, and exits as systemctl does.
func TestJobFailureMessages(t *testing.T) {
	c := startCapsule(t, "msg")
	writeUnits(t, c, map[string]string{
		"msgx.service":  "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 3'\n",
		"msgd.service":  "[Unit]\nRequires=msgx.service\nAfter=msgx.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"msgr.service":  "[Unit]\nRequires=nosuchmsg.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"msga.service":  "[Unit]\nAssertPathExists=/nonexistent-msg\n[Service]\nExecStart=/bin/sleep infinity\n",
		"msgsl.service": "[Unit]\nStartLimitBurst=1\n[Service]\nType=oneshot\nExecStart=/bin/false\n",
		"msgcd.service": "[Service]\nType=oneshot\nWorkingDirectory=/nonexistent-msg\nExecStart=/bin/true\n",
	})
	hint := func(u string) string {
		return `See "capsulectl -C ` + c + ` status ` + u + `" and "capsulectl -C ` + c + ` logs -u ` + u + `" for details.`
	}
	refused := func(u, why string) string {
		return "Failed to start " + u + ": " + why + "\nSee user logs and 'capsulectl -C " + c + " status " + u + "' for details."
	}
	tests := []struct {
		unit string
		code int
		want string
		args []string
	}{
		{"msgx.service", 1, "Job for msgx.service failed because the control process exited with error code.\n" + hint("msgx.service"), nil},
		{"msgcd.service", 1, "Job for msgcd.service failed because the control process exited with error code.\n" + hint("msgcd.service"), nil},
		{"msgd.service", 1, "A dependency job for msgd.service failed. " + hint("msgd.service"), nil},
		{"msgr.service", 5, "Failed to start msgr.service: Unit nosuchmsg.service not found.", nil},
		{"msga.service", 1, "Assertion failed on job for msga.service.", nil},
		// The start limit keeps a failed unit's Result=, so its text too.
		{"msgsl.service", 1, "Job for msgsl.service failed because the control process exited with error code.\n" + hint("msgsl.service"), nil},
		{"msgsl.service", 1, "Job for msgsl.service failed because the control process exited with error code.\n" + hint("msgsl.service"), nil},
		{"msgd.service", 4, refused("msgd.service", "Operation refused, unit may not be isolated."), []string{"--job-mode=isolate"}},
	}
	for _, tt := range tests {
		r := ctlRun(nil, append(append([]string{"-C", c, "start"}, tt.args...), tt.unit)...)
		if r.code != tt.code || strings.TrimSpace(r.stderr) != tt.want {
			t.Errorf("start %s:\n%s\nwant exit %d, stderr:\n%s", tt.unit, r, tt.code, tt.want)
		}
	}
	if logs := ctl(t, 0, "-C", c, "logs", "-u", "msgsl.service").stdout; !strings.Contains(logs, "msgsl.service: Start request repeated too quickly.") {
		t.Errorf("msgsl.service's second start did not hit the start limit:\n%s", logs)
	}
}
