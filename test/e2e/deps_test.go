package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Dependency semantics with real processes in a capsule, the expected
// values as the real systemd 257 showed them in a capsule's user manager
// (the unit names follow the experiments they come from).

// killMain sends sig to a unit's main process.
func killMain(t *testing.T, capsule, unit string, sig syscall.Signal) {
	t.Helper()
	r := ctl(t, 0, "-C", capsule, "show", "--value", "-p", "MainPID", unit)
	pid, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if err != nil || pid <= 0 {
		t.Fatalf("MainPID of %s: %q", unit, r.stdout)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill %s's main process %d: %v", unit, pid, err)
	}
}

func states(t *testing.T, capsule, unit string) string {
	t.Helper()
	return ctl(t, 0, "-C", capsule, "show", "-p", "ActiveState,SubState,Result", unit).stdout
}

func TestDepsRequires(t *testing.T) {
	c := startCapsule(t, "dreq")
	writeUnits(t, c, map[string]string{
		"r1b.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
		"r1a.service": "[Unit]\nRequires=r1b.service\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 1'\n",
		"r1c.service": "[Unit]\nRequires=r1b.service\nAfter=r1b.service\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 1'\n",
	})
	// With After=: never started, inactive and not failed.
	r := ctl(t, 1, "-C", c, "start", "r1c.service")
	if !strings.Contains(r.stderr, "dependency") {
		t.Errorf("start r1c.service: %s", r)
	}
	if got := states(t, c, "r1c.service"); got != "Result=success\nActiveState=inactive\nSubState=dead\n" {
		t.Errorf("r1c.service after its requirement failed:\n%s", got)
	}
	if got := states(t, c, "r1b.service"); got != "Result=exit-code\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("r1b.service:\n%s", got)
	}
	// Without After=: both start at once; the job fails, the process runs
	// on and the unit ends by itself.
	r = ctl(t, 1, "-C", c, "start", "r1a.service")
	if !strings.Contains(r.stderr, "dependency") {
		t.Errorf("start r1a.service: %s", r)
	}
	if got := states(t, c, "r1a.service"); got != "Result=success\nActiveState=activating\nSubState=start\n" {
		t.Errorf("r1a.service right after its job failed:\n%s", got)
	}
	waitProperty(t, c, "r1a.service", "ActiveState", "inactive")
	waitProperty(t, c, "r1a.service", "Result", "success")
}

func TestDepsRequisiteAndWants(t *testing.T) {
	c := startCapsule(t, "dreqs")
	writeUnits(t, c, map[string]string{
		"q2b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"q2c.service": "[Unit]\nRequisite=q2b.service\nAfter=q2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"w2b.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
		"w2a.service": "[Unit]\nWants=w2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctl(t, 1, "-C", c, "start", "q2c.service")
	if got := states(t, c, "q2c.service"); got != "Result=success\nActiveState=inactive\nSubState=dead\n" {
		t.Errorf("q2c.service with its requisite inactive:\n%s", got)
	}
	wantOutput(t, 0, "inactive\n", "-C", c, "show", "--value", "-p", "ActiveState", "q2b.service")
	ctl(t, 0, "-C", c, "start", "q2b.service")
	ctl(t, 0, "-C", c, "start", "q2c.service")
	// Stopping the requisite stops what needs it.
	ctl(t, 0, "-C", c, "stop", "q2b.service")
	waitProperty(t, c, "q2c.service", "ActiveState", "inactive")

	ctl(t, 0, "-C", c, "start", "w2a.service")
	waitProperty(t, c, "w2b.service", "ActiveState", "failed")
	wantOutput(t, 0, "active\n", "-C", c, "show", "--value", "-p", "ActiveState", "w2a.service")
}

func TestDepsBindsTo(t *testing.T) {
	c := startCapsule(t, "dbind")
	writeUnits(t, c, map[string]string{
		"b2b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"b2a.service": "[Unit]\nBindsTo=b2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"b2c.service": "[Unit]\nBindsTo=b2b.service\nAfter=b2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctl(t, 0, "-C", c, "start", "b2a.service", "b2c.service")
	wantOutput(t, 0, "active\n", "-C", c, "show", "--value", "-p", "ActiveState", "b2b.service")
	// The bound-to unit dies: both dependents stop, and are not failed.
	killMain(t, c, "b2b.service", syscall.SIGKILL)
	waitProperty(t, c, "b2b.service", "Result", "signal")
	for _, u := range []string{"b2a.service", "b2c.service"} {
		waitProperty(t, c, u, "ActiveState", "inactive")
		wantOutput(t, 0, "success\n", "-C", c, "show", "--value", "-p", "Result", u)
	}
	// An explicit stop of it stops them too.
	ctl(t, 0, "-C", c, "start", "b2a.service", "b2c.service")
	ctl(t, 0, "-C", c, "stop", "b2b.service")
	for _, u := range []string{"b2a.service", "b2c.service"} {
		waitProperty(t, c, u, "ActiveState", "inactive")
	}
}

func TestDepsPartOfAndConflicts(t *testing.T) {
	c := startCapsule(t, "dpart")
	writeUnits(t, c, map[string]string{
		"p2b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"p2a.service": "[Unit]\nPartOf=p2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"c2b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"c2a.service": "[Unit]\nConflicts=c2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctl(t, 0, "-C", c, "start", "p2a.service")
	wantOutput(t, 0, "inactive\n", "-C", c, "show", "--value", "-p", "ActiveState", "p2b.service")
	ctl(t, 0, "-C", c, "start", "p2b.service")
	before := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "p2a.service").stdout
	ctl(t, 0, "-C", c, "restart", "p2b.service")
	waitProperty(t, c, "p2a.service", "ActiveState", "active")
	if after := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "p2a.service").stdout; after == before {
		t.Errorf("restart of p2b.service left p2a.service's main process %s", before)
	}
	ctl(t, 0, "-C", c, "stop", "p2b.service")
	waitProperty(t, c, "p2a.service", "ActiveState", "inactive")

	ctl(t, 0, "-C", c, "start", "c2b.service")
	ctl(t, 0, "-C", c, "start", "c2a.service")
	waitProperty(t, c, "c2b.service", "ActiveState", "inactive")
	ctl(t, 0, "-C", c, "start", "c2b.service")
	waitProperty(t, c, "c2a.service", "ActiveState", "inactive")
	wantOutput(t, 0, "success\n", "-C", c, "show", "--value", "-p", "Result", "c2a.service")
}

func TestDepsUpholdsOnFailureOnSuccessUnneeded(t *testing.T) {
	c := startCapsule(t, "dup")
	writeUnits(t, c, map[string]string{
		"u2b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"u2a.service": "[Unit]\nUpholds=u2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"of2h.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\n" +
			"ExecStart=/bin/sh -c 'env | grep ^MONITOR_ | sort > /tmp/monitor'\n",
		"of2g.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		"of2a.service": "[Unit]\nOnFailure=of2h.service\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 7'\n",
		"of2s.service": "[Unit]\nOnSuccess=of2g.service\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
		"sw2n.service": "[Unit]\nStopWhenUnneeded=yes\n[Service]\nExecStart=/bin/sleep infinity\n",
		"sw2a.service": "[Unit]\nWants=sw2n.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctl(t, 0, "-C", c, "start", "u2a.service")
	waitProperty(t, c, "u2b.service", "ActiveState", "active")
	first := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "u2b.service").stdout
	killMain(t, c, "u2b.service", syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := ctlRun(nil, "-C", c, "show", "-p", "ActiveState,MainPID", "u2b.service")
		if strings.Contains(r.stdout, "ActiveState=active") && !strings.Contains(r.stdout, "MainPID="+first) &&
			!strings.Contains(r.stdout, "MainPID=0\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("u2b.service not started again while u2a.service upholds it: %s", r)
		}
		time.Sleep(10 * time.Millisecond)
	}

	ctl(t, 1, "-C", c, "start", "of2a.service")
	waitProperty(t, c, "of2h.service", "ActiveState", "active")
	// The handler learns about the failed unit (values as systemd 257's).
	inv := strings.TrimSpace(ctl(t, 0, "-C", c, "show", "--value", "-p", "InvocationID", "of2a.service").stdout)
	if got, want := inCapsule(t, c, 0, "cat /tmp/monitor").stdout, "MONITOR_EXIT_CODE=exited\nMONITOR_EXIT_STATUS=7\n"+
		"MONITOR_INVOCATION_ID="+inv+"\nMONITOR_SERVICE_RESULT=exit-code\nMONITOR_UNIT=of2a.service\n"; got != want || inv == "" {
		t.Errorf("OnFailure= handler's MONITOR_* variables:\n%s\nwant:\n%s", got, want)
	}
	ctl(t, 0, "-C", c, "start", "of2s.service")
	waitProperty(t, c, "of2g.service", "ActiveState", "active")

	ctl(t, 0, "-C", c, "start", "sw2a.service")
	waitProperty(t, c, "sw2n.service", "ActiveState", "active")
	ctl(t, 0, "-C", c, "stop", "sw2a.service")
	waitProperty(t, c, "sw2n.service", "ActiveState", "inactive")
}

// stopOrderUnits are so3x Before=so3y Before=so3z and the unordered so3p,
// all PartOf=so3.target. Each ExecStop= notes its start and end in a file;
// so3z and so3p wait (up to 5 s) for each other's start, which only comes
// when they stop at the same time.
func stopOrderUnits(t *testing.T, c, file string) {
	t.Helper()
	stop := func(me, other string) string {
		s := "ExecStop=/bin/sh -c 'echo begin-" + me + " >> " + file
		if other != "" {
			s += "; i=0; while ! grep -q begin-" + other + " " + file + "; do i=$((i+1)); " +
				"if [ $i -gt 100 ]; then echo alone-" + me + " >> " + file + "; break; fi; sleep 0.05; done"
		}
		return s + "; echo end-" + me + " >> " + file + "'\n"
	}
	svc := func(unit, me, other string) string {
		return "[Unit]\n" + unit + "PartOf=so3.target\n[Service]\nExecStart=/bin/sleep infinity\n" + stop(me, other)
	}
	writeUnits(t, c, map[string]string{
		"so3x.service": svc("Before=so3y.service\n", "x", ""),
		"so3y.service": svc("Before=so3z.service\n", "y", ""),
		"so3z.service": svc("", "z", "p"),
		"so3p.service": svc("", "p", "z"),
		"so3.target":   "[Unit]\nWants=so3x.service so3y.service so3z.service so3p.service\n",
	})
}

func checkStopOrder(t *testing.T, lines string) {
	t.Helper()
	if strings.Contains(lines, "alone") {
		t.Errorf("so3z and so3p did not stop in parallel:\n%s", lines)
	}
	idx := func(s string) int {
		i := strings.Index(lines, s+"\n")
		if i < 0 {
			t.Fatalf("%s missing:\n%s", s, lines)
		}
		return i
	}
	if !(idx("end-z") < idx("begin-y") && idx("end-y") < idx("begin-x")) {
		t.Errorf("stop order is not so3z, so3y, so3x:\n%s", lines)
	}
}

func TestDepsStopOrder(t *testing.T) {
	c := startCapsule(t, "dstop")
	file := "/tmp/stop-order"
	stopOrderUnits(t, c, file)
	ctl(t, 0, "-C", c, "start", "so3.target")
	for _, u := range []string{"so3x", "so3y", "so3z", "so3p"} {
		wantOutput(t, 0, "active\n", "-C", c, "show", "--value", "-p", "ActiveState", u+".service")
	}
	ctl(t, 0, "-C", c, "stop", "so3.target")
	for _, u := range []string{"so3x", "so3y", "so3z", "so3p"} {
		waitProperty(t, c, u+".service", "ActiveState", "inactive")
	}
	checkStopOrder(t, inCapsule(t, c, 0, "cat "+file).stdout)
}

// TestDepsCapsuleStopOrder stops the capsule itself with the units
// running: its manager's shutdown keeps the same order.
func TestDepsCapsuleStopOrder(t *testing.T) {
	c := startCapsule(t, "dcstop")
	home := "/var/lib/private/capsules/" + c
	file := "%h/stop-order"
	stopOrderUnits(t, c, file)
	ctl(t, 0, "-C", c, "start", "so3.target")
	ctl(t, 0, "stop", "capsule@"+c+".service")
	b, err := os.ReadFile(filepath.Join(home, "stop-order"))
	if err != nil {
		t.Fatal(err)
	}
	checkStopOrder(t, string(b))
}

func TestDepsOrderingCycle(t *testing.T) {
	c := startCapsule(t, "dcyc")
	writeUnits(t, c, map[string]string{
		"cy2.target":   "[Unit]\nWants=cy2a.service cy2b.service\n",
		"cy2a.service": "[Unit]\nAfter=cy2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"cy2b.service": "[Unit]\nAfter=cy2a.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"cy2c.service": "[Unit]\nRequires=cy2d.service\nAfter=cy2d.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"cy2d.service": "[Unit]\nRequires=cy2c.service\nAfter=cy2c.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctl(t, 0, "-C", c, "start", "cy2.target")
	a := ctl(t, 0, "-C", c, "show", "--value", "-p", "ActiveState", "cy2a.service").stdout
	b := ctl(t, 0, "-C", c, "show", "--value", "-p", "ActiveState", "cy2b.service").stdout
	if (a == "active\n") == (b == "active\n") {
		t.Errorf("cycle: cy2a %q, cy2b %q; want one job deleted, the other started", a, b)
	}
	r := ctl(t, 1, "-C", c, "start", "cy2c.service")
	if !strings.Contains(r.stderr, "cyclic") {
		t.Errorf("start of an unbreakable cycle: %s", r)
	}
	wantOutput(t, 0, "inactive\n", "-C", c, "show", "--value", "-p", "ActiveState", "cy2c.service")
}

// TestReloadNotApplicable: reload of a unit that cannot reload is refused
// with systemd 257's words and exit code, and leaves the unit as it was
// (observed.md 7: t7.service, no ExecReload=).
func TestReloadNotApplicable(t *testing.T) {
	c := startCapsule(t, "rl7")
	capsuleUnit(t, c, "t7.service", "[Service]\nExecStart=/bin/sleep infinity\n")
	want := "Failed to reload t7.service: Job type reload is not applicable for unit t7.service.\n"
	// Stopped, then running: the same refusal.
	if r := ctlRun(nil, "-C", c, "reload", "t7.service"); r.code != 3 || r.stderr != want {
		t.Errorf("reload of a stopped unit: %s\nwant exit 3, stderr %q", r, want)
	}
	ctl(t, 0, "-C", c, "start", "t7.service")
	pid := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "t7.service").stdout
	if r := ctlRun(nil, "-C", c, "reload", "t7"); r.code != 3 || r.stderr != want {
		t.Errorf("reload of a running unit: %s\nwant exit 3, stderr %q", r, want)
	}
	wantOutput(t, 0, "Result=success\nActiveState=active\nSubState=running\n", "-C", c, "show", "-p", "ActiveState,SubState,Result", "t7.service")
	if now := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "t7.service").stdout; now != pid {
		t.Errorf("MainPID %s after the refused reload, was %s", now, pid)
	}
}
