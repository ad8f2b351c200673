package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCleanLogsRemovesManagerOutput has a unit in a capsule print a marker,
// which reaches the system manager's stored output of capsule@X.service
// through the capsule manager's stderr. After clean --what=logs (or all)
// the marker is nowhere in that log.
func TestCleanLogsRemovesManagerOutput(t *testing.T) {
	for _, what := range []string{"logs", "all"} {
		t.Run(what, func(t *testing.T) {
			name := startCapsule(t, "cln")
			unit := "capsule@" + name + ".service"
			ctl(t, 0, "stop", unit)
			marker := fmt.Sprintf("marker-%s-%d", what, time.Now().UnixNano())
			bootUnit(t, name, "say.service", "[Service]\nType=oneshot\nExecStart=/bin/echo "+marker+"\n\n"+
				"[Install]\nWantedBy=capsule@.target\n")
			ctl(t, 0, "start", unit)
			waitRunning(t, name)
			waitLog(t, unit, marker)
			ctl(t, 0, "stop", unit)
			ctl(t, 0, "clean", "--what="+what, unit)
			if r := ctl(t, 0, "logs", "-u", unit, "-n", "10000"); strings.Contains(r.stdout, marker) {
				t.Errorf("after clean --what=%s the system manager's log of %s still holds %s:\n%s", what, unit, marker, r.stdout)
			}
			if r := ctlRun(nil, "status", "-n", "10000", unit); strings.Contains(r.stdout, marker) {
				t.Errorf("after clean --what=%s status of %s still shows %s:\n%s", what, unit, marker, r.stdout)
			}
		})
	}
}

// waitLog waits until the system manager's log of unit contains s.
func waitLog(t *testing.T, unit, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var r result
	for time.Now().Before(deadline) {
		if r = ctlRun(nil, "logs", "-u", unit, "-n", "10000"); strings.Contains(r.stdout, s) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%q never reached the log of %s: %s", s, unit, r)
}
