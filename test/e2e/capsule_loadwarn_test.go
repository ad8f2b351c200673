package e2e

import (
	"strings"
	"testing"
)

// TestCapsuleWarnsAtLoadOfFailingSettings: CapabilityBoundingSet= and a
// User= of another user (man-db's User=man) make every start of a
// capsule's unit fail (218/CAPABILITIES, 216/GROUP), as in systemd 257's
// user manager, which loads the unit without a word (observed); the
// capsule's manager says so when it loads the unit, with what to do.
// Before, nothing was said until the start failed.
func TestCapsuleWarnsAtLoadOfFailingSettings(t *testing.T) {
	c := startCapsule(t, "clw")
	writeCapsuleFiles(t, c, map[string]string{
		"clwcap.service": "[Service]\nCapabilityBoundingSet=CAP_NET_RAW\nExecStart=/bin/sleep 100\n",
		"clwman.service": "[Service]\nUser=man\nExecStart=/bin/sleep 100\n",
		"clwok.service":  "[Service]\nExecStart=/bin/sleep 100\n",
		"clwamb.service": "[Service]\nType=oneshot\nAmbientCapabilities=CAP_NET_RAW\nExecStart=/bin/true\n",
	})
	for u, want := range map[string]string{
		"clwcap.service": "clwcap.service: CapabilityBoundingSet= needs the system manager: a capsule's manager has no capabilities to drop or grant, so the unit's start fails with 218/CAPABILITIES",
		"clwamb.service": "clwamb.service: AmbientCapabilities= needs the system manager",
		"clwman.service": "clwman.service: User=man: a capsule's manager runs units only as the capsule's own user, so the unit's start fails with 216/GROUP",
	} {
		if r := ctlRun(nil, "-C", c, "status", u); !strings.Contains(r.stdout, want) {
			t.Errorf("status %s lacks %q: %s", u, want, r)
		}
	}
	// The start fails as in systemd 257 (observed: 218 for
	// AmbientCapabilities= in a capsule).
	ctlRun(nil, "-C", c, "start", "clwamb.service")
	if r := ctl(t, 0, "-C", c, "show", "-p", "Result,ExecMainStatus", "clwamb.service"); r.stdout != "Result=exit-code\nExecMainStatus=218\n" {
		t.Errorf("start with AmbientCapabilities=: %s", r)
	}
	if r := ctlRun(nil, "-C", c, "status", "clwok.service"); strings.Contains(r.stdout, "start fails") {
		t.Errorf("a unit without such settings warned: %s", r)
	}
}
