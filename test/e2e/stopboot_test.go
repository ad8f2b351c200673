package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestStopDuringBootStaysStopping stops a capsule while its boot waits for
// a unit that is never ready and another unit takes a while to stop. The
// stop cancels the boot's start job, after which the boot reported the
// manager "running" again for the rest of the stop (and undid the stop's
// memory settings).
func TestStopDuringBootStaysStopping(t *testing.T) {
	name := newCapsule(t, "bootstop")
	unit := "capsule@" + name + ".service"
	ctl(t, 0, "start", unit)
	ctl(t, 0, "stop", unit)
	bootUnit(t, name, "never.service", "[Service]\nType=notify\nExecStart=/bin/sleep 60\nTimeoutStartSec=infinity\n")
	bootUnit(t, name, "slowstop.service", "[Service]\nExecStart=/bin/sleep 60\nExecStop=/bin/sleep 2\n")
	// Start returns once basic.target is reached; the boot goes on.
	ctl(t, 0, "start", unit)
	if st := strings.TrimSpace(ctlRun(nil, "-C", name, "is-system-running").stdout); st != "starting" {
		t.Fatalf("capsule %q before the stop, want starting", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.TrimSpace(ctlRun(nil, "-C", name, "is-active", "slowstop.service").stdout) != "active" {
		if time.Now().After(deadline) {
			t.Fatal("slowstop.service not active after 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := make(chan result, 1)
	go func() { stopped <- ctlRun(nil, "stop", unit) }()
	seen := map[string]int{}
	for {
		select {
		case r := <-stopped:
			if r.code != 0 {
				t.Errorf("stop %s: %s", unit, r)
			}
			if seen["running"] > 0 {
				t.Errorf("manager states seen while it stopped: %v; a stopping manager never says running", seen)
			}
			if seen["stopping"] == 0 {
				t.Errorf("manager states seen while it stopped: %v, want stopping among them", seen)
			}
			return
		default:
		}
		r := ctlRun(nil, "-C", name, "is-system-running")
		if st := strings.TrimSpace(r.stdout); st != "" {
			seen[st]++
		}
		time.Sleep(20 * time.Millisecond)
	}
}
