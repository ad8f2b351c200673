package e2e

import (
	"strings"
	"testing"
	"time"
)

// waitUnitLog waits until the log of unit has s.
func waitUnitLog(t *testing.T, c, unit, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l := ctl(t, 0, "-C", c, "logs", "-u", unit).stdout
		if strings.Contains(l, s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log of %s has no %q after 5 s:\n%s", unit, s, l)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// TestStopKillSettings: the kill phases of a stop as systemd 257 ran them
// for the same units (observed-8-rs.md): a stop that times out takes the
// timeout once (the stop signal is sent once, then FinalKillSignal=);
// SendSIGHUP= follows the stop signal with SIGHUP; SendSIGKILL=no skips
// the final signal and tries the stop signal again; a restart stops with
// RestartKillSignal=.
func TestStopKillSettings(t *testing.T) {
	c := startCapsule(t, "rsk")
	// Each says "ready" once its traps are set.
	loop := "echo ready; while :; do sleep 0.1; done"
	writeUnits(t, c, map[string]string{
		"rskterm.service": "[Service]\nTimeoutStopSec=1\nExecStart=/bin/sh -c 'trap \"echo got-TERM\" TERM; " + loop + "'\n",
		// SIGHUP follows SIGTERM at once, but may be delivered after the
		// TERM trap ran: the service waits for it (2 s at most) before it
		// exits.
		"rskhup.service": "[Service]\nSendSIGHUP=yes\nExecStart=/bin/sh -c 'trap \"echo got-HUP; h=1\" HUP; trap \"echo got-TERM; t=1\" TERM; echo ready; n=0; " +
			"while :; do if [ -n \"$$t\" ]; then n=$$((n+1)); if [ -n \"$$h\" ] || [ $$n -gt 20 ]; then exit 0; fi; fi; sleep 0.1; done'\n",
		"rskfinal.service": "[Service]\nTimeoutStopSec=1\nFinalKillSignal=SIGQUIT\n" +
			"ExecStart=/bin/sh -c 'trap \"echo got-TERM\" TERM; trap \"echo got-QUIT; exit 0\" QUIT; " + loop + "'\n",
		"rsknokill.service":  "[Service]\nKillSignal=SIGINT\nSendSIGKILL=no\nTimeoutStopSec=1\nExecStart=/bin/sh -c 'trap \"echo got-INT\" INT; " + loop + "'\n",
		"rskrestart.service": "[Service]\nRestartKillSignal=SIGUSR1\nExecStart=/bin/sh -c 'trap \"echo got-USR1; exit 0\" USR1; trap \"echo got-TERM; exit 0\" TERM; " + loop + "'\n",
	})
	units := []string{"rskterm.service", "rskhup.service", "rskfinal.service", "rsknokill.service", "rskrestart.service"}
	ctl(t, 0, append([]string{"-C", c, "start"}, units...)...)
	for _, u := range units {
		waitUnitLog(t, c, u, "ready\n")
	}
	if got := ctl(t, 0, "-C", c, "show", "-p", "KillSignal,RestartKillSignal,FinalKillSignal,SendSIGKILL,SendSIGHUP", "rsknokill.service").stdout; got != "KillSignal=2\nRestartKillSignal=2\nFinalKillSignal=9\nSendSIGKILL=no\nSendSIGHUP=no\n" {
		t.Errorf("show rsknokill.service:\n%s", got)
	}
	ctl(t, 0, "-C", c, "restart", "rskrestart.service")
	waitUnitLog(t, c, "rskrestart.service", "got-USR1\n")
	for deadline := time.Now().Add(5 * time.Second); strings.Count(ctl(t, 0, "-C", c, "logs", "-u", "rskrestart.service").stdout, "ready\n") < 2; {
		if time.Now().After(deadline) {
			t.Fatal("rskrestart.service did not start again")
		}
		time.Sleep(30 * time.Millisecond)
	}
	ctl(t, 0, "-C", c, "stop", "rskterm.service", "rskhup.service", "rskfinal.service", "rsknokill.service", "rskrestart.service")
	const props = "Result,ExecMainCode,ExecMainStatus"
	for unit, want := range map[string]string{
		// Killed by SIGKILL after one timeout.
		"rskterm.service": "Result=timeout\nExecMainCode=2\nExecMainStatus=9\n",
		"rskhup.service":  "Result=success\nExecMainCode=1\nExecMainStatus=0\n",
		// Ended by its FinalKillSignal= handler.
		"rskfinal.service":   "Result=timeout\nExecMainCode=1\nExecMainStatus=0\n",
		"rskrestart.service": "Result=success\nExecMainCode=1\nExecMainStatus=0\n",
	} {
		if got := ctl(t, 0, "-C", c, "show", "-p", props, unit).stdout; got != want {
			t.Errorf("%s after stop:\n%s\nwant:\n%s", unit, got, want)
		}
	}
	if got := ctl(t, 0, "-C", c, "show", "-p", "Result,ActiveState", "rsknokill.service").stdout; got != "Result=timeout\nActiveState=failed\n" {
		t.Errorf("rsknokill.service after stop:\n%s", got)
	}
	logOf := func(u string) string { return ctl(t, 0, "-C", c, "logs", "-u", u).stdout }
	for unit, want := range map[string]map[string]int{
		"rskterm.service":    {"got-TERM": 1, "rskterm.service: State 'stop-sigterm' timed out. Killing.": 1},
		"rskhup.service":     {"got-HUP": 1, "got-TERM": 1},
		"rskfinal.service":   {"got-TERM": 1, "got-QUIT": 1, "rskfinal.service: State 'stop-sigterm' timed out. Killing.": 1},
		"rskrestart.service": {"got-USR1": 1, "got-TERM": 1},
		"rsknokill.service": {"got-INT": 2, "rsknokill.service: State 'stop-sigterm' timed out. Skipping SIGKILL.": 1,
			"rsknokill.service: State 'final-sigterm' timed out. Skipping SIGKILL. Entering failed mode.": 1},
	} {
		l := logOf(unit)
		for s, n := range want {
			if got := strings.Count(l, s); got != n {
				t.Errorf("%s: %q %d times, want %d:\n%s", unit, s, got, n, l)
			}
		}
	}
}
