package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestOOMScoreAdjust: OOMScoreAdjust= reaches a system unit's processes.
// Inside a capsule /proc is read-only, so the capsule's manager cannot
// apply it: the unit runs with the manager's score and the manager says
// why when it loads the unit.
func TestOOMScoreAdjust(t *testing.T) {
	name := startCapsule(t, "oom")
	unit := name + "-oom.service"
	systemUnit(t, unit, "[Service]\nType=oneshot\nRemainAfterExit=yes\nOOMScoreAdjust=321\n"+
		"ExecStart=/bin/sh -c 'echo adj=$(cat /proc/self/oom_score_adj)'\n")
	ctl(t, 0, "start", unit)
	if logs := ctl(t, 0, "logs", "-u", unit).stdout; !strings.Contains(logs, "adj=321") {
		t.Errorf("system unit with OOMScoreAdjust=321: no adj=321 in its log:\n%s", logs)
	}
	want := inCapsule(t, name, 0, "cat /proc/self/oom_score_adj").stdout
	r := ctl(t, 0, "run", "-q", "-C", name, "-u", "oom", "-P", "-p", "OOMScoreAdjust=789", "cat", "/proc/self/oom_score_adj")
	if r.stdout != want {
		t.Errorf("capsule unit with OOMScoreAdjust=789 has oom_score_adj %q, want the manager's %q", r.stdout, want)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		logs := ctl(t, 0, "logs", "-u", "capsule@"+name+".service").stdout
		if strings.Contains(logs, "oom.service: OOMScoreAdjust= cannot be applied: /proc is read-only here") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no warning about OOMScoreAdjust= in the capsule's log:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
