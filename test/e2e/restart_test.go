package e2e

import (
	"strings"
	"testing"
	"time"
)

// waitProps polls show -p props of unit until it prints want.
func waitProps(t *testing.T, c, unit, props, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := ctl(t, 0, "-C", c, "show", "-p", props, unit).stdout
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after %s:\n%s\nwant:\n%s\nlog:\n%s", unit, d, got, want,
				ctl(t, 0, "-C", c, "logs", "-n", "200").stdout)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// TestRestartRules: the exit statuses and restart rules of
// systemd.service(5) with the results, restart counts and log lines
// systemd 257 gave for the same units (observed-8-rs.md).
func TestRestartRules(t *testing.T) {
	c := startCapsule(t, "rsr")
	writeUnits(t, c, map[string]string{
		// Extra clean exits: an exit status and a signal.
		"rsok.service":  "[Service]\nSuccessExitStatus=3 SIGUSR1\nExecStart=/bin/sh -c 'exit 3'\n",
		"rsusr.service": "[Service]\nSuccessExitStatus=3 SIGUSR1\nExecStart=/bin/sh -c 'kill -USR1 $$$$'\n",
		// RestartPreventExitStatus= wins over Restart=always.
		"rsprev.service": "[Service]\nRestart=always\nRestartSec=10ms\nRestartPreventExitStatus=5\nExecStart=/bin/sh -c 'exit 5'\n",
		// RestartForceExitStatus= restarts with Restart=no, until the start limit.
		"rsforce.service": "[Unit]\nStartLimitBurst=2\n[Service]\nRestart=no\nRestartForceExitStatus=7\nRestartSec=10ms\nExecStart=/bin/sh -c 'exit 7'\n",
		// A oneshot restarts on failure too.
		"rsone.service": "[Unit]\nStartLimitBurst=3\n[Service]\nType=oneshot\nRestart=on-failure\nRestartSec=10ms\nExecStart=/bin/false\n",
		// A oneshot that outlives TimeoutStartSec= is terminated, and
		// restarted on failure.
		"rsoneto.service": "[Unit]\nStartLimitBurst=2\n[Service]\nType=oneshot\nTimeoutStartSec=200ms\nRestart=on-failure\nRestartSec=10ms\nExecStart=/bin/sleep 5\n",
		// ... but may not be told to restart always.
		"rsoneal.service": "[Service]\nType=oneshot\nRestart=always\nExecStart=/bin/true\n",
		// The restart delay grows in RestartSteps= up to RestartMaxDelaySec=.
		"rssteps.service": "[Unit]\nStartLimitBurst=4\n[Service]\nRestart=on-failure\nRestartSec=10ms\nRestartSteps=2\nRestartMaxDelaySec=40ms\nExecStart=/bin/false\n",
	})
	if got := ctl(t, 0, "-C", c, "show", "-p", "SuccessExitStatus,RestartUSecNext,RestartSteps,RestartMaxDelayUSec", "rsok.service", "rssteps.service").stdout; got != "RestartSteps=0\nRestartMaxDelayUSec=infinity\nRestartUSecNext=100ms\nSuccessExitStatus=3 USR1\n\n"+
		"RestartSteps=2\nRestartMaxDelayUSec=40ms\nRestartUSecNext=10ms\nSuccessExitStatus=\n" {
		t.Errorf("show before start:\n%s", got)
	}
	ctl(t, 0, "-C", c, "start", "rsok.service", "rsusr.service", "rsprev.service", "rsforce.service", "rssteps.service")
	ctlRun(nil, "-C", c, "start", "--no-block", "rsoneto.service")
	r := ctl(t, 1, "-C", c, "start", "rsone.service")
	if !strings.Contains(r.stderr, "Job for rsone.service failed") {
		t.Errorf("start of the failing oneshot: %s", r)
	}
	const props = "Result,NRestarts,ActiveState,SubState"
	for _, u := range []string{"rsok", "rsusr"} {
		waitProps(t, c, u+".service", props, "Result=success\nNRestarts=0\nActiveState=inactive\nSubState=dead\n", 5*time.Second)
	}
	waitProps(t, c, "rsprev.service", props, "Result=exit-code\nNRestarts=0\nActiveState=failed\nSubState=failed\n", 5*time.Second)
	waitProps(t, c, "rsforce.service", props, "Result=exit-code\nNRestarts=2\nActiveState=failed\nSubState=failed\n", 5*time.Second)
	waitProps(t, c, "rsoneto.service", props+",ExecMainCode,ExecMainStatus", "Result=timeout\nNRestarts=2\nExecMainCode=2\nExecMainStatus=15\nActiveState=failed\nSubState=failed\n", 5*time.Second)
	waitProps(t, c, "rsone.service", props, "Result=exit-code\nNRestarts=3\nActiveState=failed\nSubState=failed\n", 5*time.Second)
	waitProps(t, c, "rssteps.service", props+",RestartUSecNext", "RestartUSecNext=40ms\nResult=exit-code\nNRestarts=4\nActiveState=failed\nSubState=failed\n", 5*time.Second)
	if got := ctl(t, 0, "-C", c, "show", "-p", "LoadState", "rsoneal.service").stdout; got != "LoadState=bad-setting\n" {
		t.Errorf("oneshot with Restart=always: %s", got)
	}
	logs := ctl(t, 0, "-C", c, "logs", "-n", "1000").stdout
	for _, want := range []string{
		"rsforce.service: Scheduled restart job, restart counter is at 2.\n",
		"rsforce.service: Start request repeated too quickly.\n",
		"rsone.service: Scheduled restart job, restart counter is at 3.\n",
		"rsone.service: Start request repeated too quickly.\n",
		"rsoneto.service: start operation timed out. Terminating.\n",
		"rsoneto.service: Main process exited, code=killed, status=15/TERM\n",
		"rsoneto.service: Failed with result 'timeout'.\n",
		"rsoneal.service: Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.\n",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, bad := range []string{"rsok.service: Failed", "rsusr.service: Failed", "rsprev.service: Scheduled"} {
		if strings.Contains(logs, bad) {
			t.Errorf("log has %q:\n%s", bad, logs)
		}
	}
}

// TestStopEndsRestartLoop: a stop wins over Restart=always, also when the
// service ends by itself (here at once, RuntimeMaxSec=1us) while the stop
// waits for it: its restart does not replace the stop job.
func TestStopEndsRestartLoop(t *testing.T) {
	c := startCapsule(t, "rloop")
	ctl(t, 0, "run", "-q", "-C", c, "-u", "loop", "-p", "Restart=always", "-p", "RestartSec=0",
		"-p", "RuntimeMaxSec=1us", "-p", "StartLimitIntervalSec=0", "sleep", "1000")
	waitFor(2*time.Second, func() bool { n := showValue(t, c, "loop.service", "NRestarts"); return n != "" && n != "0" })
	ctl(t, 0, "-C", c, "stop", "loop.service")
	n1 := showValue(t, c, "loop.service", "NRestarts")
	time.Sleep(300 * time.Millisecond)
	if n2 := showValue(t, c, "loop.service", "NRestarts"); n2 != n1 {
		t.Errorf("still restarting after stop: NRestarts %s -> %s", n1, n2)
	}
	if st := showValue(t, c, "loop.service", "ActiveState"); st != "inactive" && st != "failed" {
		t.Errorf("ActiveState=%s after stop", st)
	}
}
