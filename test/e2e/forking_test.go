package e2e

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// forkingDaemon is an nginx-style start: the started process forks a
// child, which forks the daemon and exits; the started process exits at
// once, and the daemon writes its PID file a moment later.
const forkingDaemon = `#!/bin/sh
( ( sleep 0.2; sh -c 'echo $PPID' >"$1"; exec sleep 100 ) & )
exit 0
`

// TestServiceForking starts a double-forking daemon in a capsule: the
// unit is active once the PID file names the daemon, status shows that
// PID as Main PID, $MAINPID reaches ExecStartPost=, and stop ends it.
// Without PIDFile=, the one process left is guessed as the main one.
func TestServiceForking(t *testing.T) {
	c := startCapsule(t, "tyfork")
	home := homeOf(c)
	if err := os.WriteFile(filepath.Join(home, "daemon.sh"), []byte(forkingDaemon), 0o755); err != nil {
		t.Fatal(err)
	}
	writeUnits(t, c, map[string]string{
		"tyd.service": "[Service]\nType=forking\nPIDFile=%t/tyd.pid\nExecStart=%h/daemon.sh %t/tyd.pid\n" +
			"ExecStartPost=/bin/sh -c 'echo $$MAINPID >%h/mainpid'\n",
		"tyguess.service": "[Service]\nType=forking\nExecStart=/bin/sh -c 'sleep 100 & exit 0'\n",
		"tyfail.service":  "[Service]\nType=forking\nExecStart=/bin/sh -c 'exit 4'\n",
	})
	if r := ctlRun(nil, "-C", c, "start", "tyd.service"); r.code != 0 {
		t.Fatalf("start tyd.service: %s\n%s", r, ctlRun(nil, "-C", c, "status", "-n", "20", "tyd.service").stdout)
	}
	pidText, err := os.ReadFile("/run/capsules/" + c + "/tyd.pid")
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	fmt.Sscan(string(pidText), &pid)
	if cmd := cmdlineOf(pid); cmd != "sleep 100" {
		t.Fatalf("PID file names %d (%q), not the daemon", pid, cmd)
	}
	st := ctl(t, 0, "-C", c, "status", "tyd.service").stdout
	if !strings.Contains(st, fmt.Sprintf("Main PID: %d (sleep)", pid)) || !strings.Contains(st, "active (running)") {
		t.Errorf("status does not show the daemon as main process %d:\n%s", pid, st)
	}
	if b, _ := os.ReadFile(filepath.Join(home, "mainpid")); strings.TrimSpace(string(b)) != fmt.Sprint(pid) {
		t.Errorf("ExecStartPost= got MAINPID=%q, want %d", b, pid)
	}
	ctl(t, 0, "-C", c, "stop", "tyd.service")
	if err := syscall.Kill(pid, 0); err == nil {
		if cmd := cmdlineOf(pid); cmd == "sleep 100" {
			t.Errorf("daemon %d still runs after stop", pid)
		}
	}
	waitState(t, c, "tyd.service", "Result=success\nActiveState=inactive\nSubState=dead\n")

	ctl(t, 0, "-C", c, "start", "tyguess.service")
	var guessed int
	fmt.Sscan(ctl(t, 0, "-C", c, "show", "-p", "MainPID", "--value", "tyguess.service").stdout, &guessed)
	// The guess is the shell's forked child, which may not have run its
	// exec of sleep yet when the parent's exit ends the start.
	if guessed == 0 || !waitFor(10*time.Second, func() bool { return cmdlineOf(guessed) == "sleep 100" }) {
		t.Errorf("guessed main PID %d (%q), want the sleep", guessed, cmdlineOf(guessed))
	}
	// The daemon ending by itself ends the unit.
	syscall.Kill(guessed, syscall.SIGKILL)
	waitState(t, c, "tyguess.service", "Result=signal\nActiveState=failed\nSubState=failed\n")

	ctl(t, 1, "-C", c, "start", "tyfail.service")
	if got := states(t, c, "tyfail.service"); got != "Result=exit-code\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("tyfail: %q", got)
	}
}

// TestEscapeForkingPIDFileNamesOtherProcess: a forking service of the
// system manager, running as a dynamic user, writes the PID of a root
// process outside the unit into its PID file (in its runtime directory,
// which it controls). The manager must not take that process as the
// unit's main process (a stop would then signal it as root): the start
// fails and the process lives on.
func TestEscapeForkingPIDFileNamesOtherProcess(t *testing.T) {
	victim := osexec.Command("sleep", "100")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		victim.Process.Kill()
		victim.Wait()
	})
	dir := fmt.Sprintf("tyfork-%d", os.Getpid())
	unit := dir + ".service"
	systemUnit(t, unit, fmt.Sprintf("[Service]\nType=forking\nDynamicUser=yes\nUser=%s\nRuntimeDirectory=%s\n"+
		"PIDFile=/run/%s/x.pid\nExecStart=/bin/sh -c 'echo %d >/run/%s/x.pid; sleep 100 & exit 0'\nTimeoutStartSec=10\nTimeoutStopSec=2\n",
		dir, dir, dir, victim.Process.Pid, dir))
	ctl(t, 0, "daemon-reload")
	r := ctlRun(nil, "start", unit)
	st := ctlRun(nil, "show", "-p", "MainPID,ActiveState,Result", unit).stdout
	ctlRun(nil, "stop", unit)
	if r.code == 0 || !strings.Contains(st, "Result=protocol") {
		t.Errorf("start with a PID file naming pid %d outside the unit: %s\n%s", victim.Process.Pid, r, st)
	}
	if err := victim.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the process the PID file named was killed: %v", err)
	}
	if log := ctlRun(nil, "status", "-n", "20", unit).stdout; !strings.Contains(log, fmt.Sprintf("New main PID %d does not belong to service", victim.Process.Pid)) {
		t.Errorf("status does not say why:\n%s", log)
	}
}
