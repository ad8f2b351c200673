package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestStatusSinceAndExitedMainPID checks two status lines as systemctl
// 257 shows them: an exited service names its main PID with the status's
// name, and "since" is when the unit became active (ActiveEnterTimestamp),
// not its later change of sub-state (a timer from waiting to running).
func TestStatusSinceAndExitedMainPID(t *testing.T) {
	c := startCapsule(t, "stx")
	writeUnits(t, c, map[string]string{
		"stx.service":  "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		"stxt.timer":   "[Timer]\nOnActiveSec=1.2s\nAccuracySec=1us\n",
		"stxt.service": "[Service]\nExecStart=/bin/sleep infinity\n",
	})
	show := func(u, p string) string {
		return strings.TrimSpace(ctl(t, 0, "-C", c, "show", "-P", p, u).stdout)
	}
	ctl(t, 0, "-C", c, "start", "stx.service", "stxt.timer")
	out := ctlRun(nil, "-C", c, "status", "stx.service").stdout
	if want := "   Main PID: " + show("stx.service", "ExecMainPID") + " (code=exited, status=0/SUCCESS)"; !strings.Contains(out, want) {
		t.Errorf("status lacks %q:\n%s", want, out)
	}
	for i := 0; i < 100 && show("stxt.timer", "SubState") != "running"; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	out = ctlRun(nil, "-C", c, "status", "stxt.timer").stdout
	enter := show("stxt.timer", "ActiveEnterTimestamp")
	if want := "active (running) since " + enter + ";"; enter == "" || !strings.Contains(out, want) {
		t.Errorf("status lacks %q (StateChangeTimestamp %s):\n%s", want, show("stxt.timer", "StateChangeTimestamp"), out)
	}
}

// TestStatusProcessLines: status lists the ended commands of the last
// invocation on systemd 257's "Process:" lines (observed), in the order of
// their settings, each with its own PID (the one the log names), before
// the running main process.
func TestStatusProcessLines(t *testing.T) {
	c := startCapsule(t, "stp")
	writeUnits(t, c, map[string]string{"stp.service": "[Service]\nExecCondition=/bin/true\nExecStartPre=-/bin/false\n" +
		"ExecStartPre=/bin/true\nExecStart=/bin/sleep 1000\nExecStartPost=/bin/echo post\n"})
	ctl(t, 0, "-C", c, "start", "stp.service")
	defer ctl(t, 0, "-C", c, "stop", "stp.service")
	waitCapsuleLog(t, c, "stp.service", "]: post")
	main := waitNonZero(t, c, "stp.service", "MainPID") // past the executor's exec
	out := ctlRun(nil, "-C", c, "status", "stp.service").stdout
	re := regexp.MustCompile(`(?m)^ Invocation: \w+\n` +
		`    Process: \d+ ExecCondition=/bin/true \(code=exited, status=0/SUCCESS\)\n` +
		`    Process: \d+ ExecStartPre=/bin/false \(code=exited, status=1/FAILURE\)\n` +
		`    Process: \d+ ExecStartPre=/bin/true \(code=exited, status=0/SUCCESS\)\n` +
		`    Process: (\d+) ExecStartPost=/bin/echo post \(code=exited, status=0/SUCCESS\)\n` +
		`   Main PID: ` + main + ` \(sleep\)\n`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("status lacks the Process: lines of systemd 257:\n%s", out)
	}
	if !strings.Contains(out, "echo["+m[1]+"]: post") {
		t.Errorf("the ExecStartPost= line names PID %s, the log another:\n%s", m[1], out)
	}
}

// TestStatusNonDumpableProcess: a process that made itself non-dumpable
// (as ssh-agent does) is hidden from its capsule's manager (hidepid), yet
// status names it as systemctl 257 does: "Main PID: PID (python3)" and its
// command line in the CGroup: tree, not "()".
func TestStatusNonDumpableProcess(t *testing.T) {
	c := startCapsule(t, "stn")
	script := "import ctypes, time\nctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\nprint('hidden', flush=True)\ntime.sleep(1000)\n"
	writeUnits(t, c, map[string]string{"stn.service": "[Service]\nExecStart=/usr/bin/python3 -c \"" + strings.ReplaceAll(script, "\n", "\\n") + "\"\n"})
	ctl(t, 0, "-C", c, "start", "stn.service")
	defer ctl(t, 0, "-C", c, "stop", "stn.service")
	waitCapsuleLog(t, c, "stn.service", "]: hidden")
	out := ctlRun(nil, "-C", c, "status", "stn.service").stdout
	main := strings.TrimSpace(ctl(t, 0, "-C", c, "show", "-P", "MainPID", "stn.service").stdout)
	for _, want := range []string{"   Main PID: " + main + " (python3)\n", "└─" + main + " /usr/bin/python3 -c import ctypes"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}
