package e2e

import (
	"strings"
	"testing"
)

// TestRelativeCommandFixedSearchPath: a bare command name is looked up in
// systemd 257's fixed list (/usr/local/sbin:/usr/local/bin:/usr/sbin:
// /usr/bin), not in the PATH of the manager's environment, which the
// process still gets; run's command likewise, with PATH unset.
func TestRelativeCommandFixedSearchPath(t *testing.T) {
	c := startCapsule(t, "spa")
	capsuleUnit(t, c, "farel.service", "[Service]\nType=oneshot\nExecStart=sh -c 'echo PATH=$$PATH'\n")
	ctl(t, 0, "-C", c, "set-environment", "PATH=/nonexistent")
	ctl(t, 0, "-C", c, "start", "farel.service")
	if r := ctl(t, 0, "-C", c, "logs", "-u", "farel.service", "-o", "cat"); !strings.Contains(r.stdout, "PATH=/nonexistent\n") {
		t.Errorf("ExecStart=sh with PATH=/nonexistent in the manager's environment logged:\n%s", r.stdout)
	}
	ctl(t, 0, "-C", c, "unset-environment", "PATH")
	if r := ctl(t, 0, "-C", c, "run", "-q", "-P", "sh", "-c", "echo ran"); r.stdout != "ran\n" {
		t.Errorf("run sh with PATH unset: %s", r)
	}
}
