package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// waitState polls show until unit's Result, ActiveState and SubState (in
// systemd's order) read want.
func waitState(t *testing.T, capsule, unit, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		if got = states(t, capsule, unit); got == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: states %q, want %q", unit, got, want)
}

// TestServiceTypes runs the service types' start rules in one capsule,
// with the values systemd 257 shows for them.
func TestServiceTypes(t *testing.T) {
	c := startCapsule(t, "ty")
	writeUnits(t, c, map[string]string{
		// A simple service whose process ends cleanly stays active
		// (exited) with RemainAfterExit=yes.
		"rae.service": "[Service]\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		// No ExecStart= and no Type=: a oneshot.
		"noexec.service": "[Service]\nRemainAfterExit=yes\nExecStop=/bin/true\n",
		// Type=idle runs as simple.
		"idle.service": "[Service]\nType=idle\nExecStart=/bin/sleep 100\n",
	})
	t.Run("RemainAfterExit", func(t *testing.T) {
		ctl(t, 0, "-C", c, "start", "rae.service")
		waitState(t, c, "rae.service", "Result=success\nActiveState=active\nSubState=exited\n")
		if r := ctl(t, 0, "-C", c, "show", "-p", "MainPID", "rae.service"); r.stdout != "MainPID=0\n" {
			t.Errorf("show -p MainPID: %q", r.stdout)
		}
		ctl(t, 0, "-C", c, "stop", "rae.service")
		waitState(t, c, "rae.service", "Result=success\nActiveState=inactive\nSubState=dead\n")
	})
	t.Run("implied oneshot", func(t *testing.T) {
		if r := ctl(t, 0, "-C", c, "show", "-p", "Type,LoadState", "noexec.service"); r.stdout != "Type=oneshot\nLoadState=loaded\n" {
			t.Errorf("show: %q", r.stdout)
		}
		ctl(t, 0, "-C", c, "start", "noexec.service")
		waitState(t, c, "noexec.service", "Result=success\nActiveState=active\nSubState=exited\n")
		ctl(t, 0, "-C", c, "stop", "noexec.service")
	})
	t.Run("idle", func(t *testing.T) {
		ctl(t, 0, "-C", c, "start", "idle.service")
		waitState(t, c, "idle.service", "Result=success\nActiveState=active\nSubState=running\n")
		ctl(t, 0, "-C", c, "stop", "idle.service")
	})
}

// TestServiceExecEnv checks the variables of each exec phase against what
// systemd 257 sets (observed-8-ty.md): $MAINPID only while the main
// process runs and never in ExecStopPost=, SERVICE_RESULT in both stop
// phases, EXIT_CODE/EXIT_STATUS once the main process has ended,
// MANAGERPID (the capsule's manager) and SYSTEMD_EXEC_PID (the process
// itself) everywhere.
func TestServiceExecEnv(t *testing.T) {
	c := startCapsule(t, "tyenv")
	probe := func(tag string) string {
		return "/bin/sh -c 'echo " + tag + " MAINPID=$${MAINPID-unset} SR=$${SERVICE_RESULT-unset} EC=$${EXIT_CODE-unset} ES=$${EXIT_STATUS-unset} " +
			"MGR=$${MANAGERPID-unset} SELF=$$(( $${SYSTEMD_EXEC_PID-0} == $$$$ )) >>%h/env-%N.log'\n"
	}
	phases := "ExecStartPre=" + probe("pre") + "ExecStartPost=" + probe("post") + "ExecStop=" + probe("stop") + "ExecStopPost=" + probe("stoppost")
	writeUnits(t, c, map[string]string{
		"tyrun.service":  "[Service]\nExecStart=/bin/sleep 100\n" + phases,
		"tyone.service":  "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=" + probe("start") + phases,
		"tyfail.service": "[Service]\nExecStart=/bin/sh -c 'sleep 0.2; exit 3'\n" + phases,
	})
	home := homeOf(c)
	mgr := managerPID(t, c)

	ctl(t, 0, "-C", c, "start", "tyrun.service")
	var main int
	fmt.Sscanf(ctl(t, 0, "-C", c, "show", "-p", "MainPID", "--value", "tyrun.service").stdout, "%d", &main)
	ctl(t, 0, "-C", c, "stop", "tyrun.service")
	ctl(t, 0, "-C", c, "start", "tyone.service")
	ctl(t, 0, "-C", c, "stop", "tyone.service")
	ctl(t, 0, "-C", c, "start", "tyfail.service")
	waitState(t, c, "tyfail.service", "Result=exit-code\nActiveState=failed\nSubState=failed\n")

	tail := fmt.Sprintf(" MGR=%d SELF=1\n", mgr)
	for unit, want := range map[string]string{
		"tyrun": "pre MAINPID=unset SR=unset EC=unset ES=unset" + tail +
			fmt.Sprintf("post MAINPID=%d SR=unset EC=unset ES=unset", main) + tail +
			fmt.Sprintf("stop MAINPID=%d SR=success EC=unset ES=unset", main) + tail +
			"stoppost MAINPID=unset SR=success EC=killed ES=TERM" + tail,
		"tyone": "pre MAINPID=unset SR=unset EC=unset ES=unset" + tail +
			"start MAINPID=unset SR=unset EC=unset ES=unset" + tail +
			"post MAINPID=unset SR=unset EC=unset ES=unset" + tail +
			"stop MAINPID=unset SR=success EC=exited ES=0" + tail +
			"stoppost MAINPID=unset SR=success EC=exited ES=0" + tail,
		// The main process (still running for ExecStartPost=) ended by
		// itself: no ExecStop=.
		"tyfail": "pre MAINPID=unset SR=unset EC=unset ES=unset" + tail +
			"post MAINPID=N SR=unset EC=unset ES=unset" + tail +
			"stoppost MAINPID=unset SR=exit-code EC=exited ES=3" + tail,
	} {
		got, err := os.ReadFile(filepath.Join(home, "env-"+unit+".log"))
		if unit == "tyfail" {
			got = regexp.MustCompile(`post MAINPID=[0-9]+ `).ReplaceAll(got, []byte("post MAINPID=N "))
		}
		if err != nil || string(got) != want {
			t.Errorf("%s: phases wrote (%v)\n%s\nwant\n%s", unit, err, got, want)
		}
	}
}

// TestServiceExecCondition: ExecCondition= exiting 1 to 254 skips the
// unit (the start succeeds, the unit stays inactive and not failed,
// ConditionResult=no), 255 or a signal fails it, as in systemd 257.
func TestServiceExecCondition(t *testing.T) {
	c := startCapsule(t, "tycond")
	units := map[string]string{
		"tysig.service": "[Service]\nExecCondition=/bin/sh -c 'kill -9 $$$$'\nExecStart=/bin/sleep 100\n",
		// '-' makes any failure a pass.
		"tyign.service": "[Service]\nExecCondition=-/bin/sh -c 'exit 255'\nExecStart=/bin/sleep 100\n",
	}
	for _, n := range []int{0, 1, 254, 255} {
		units[fmt.Sprintf("tyc%d.service", n)] = fmt.Sprintf("[Service]\nExecCondition=/bin/true\nExecCondition=/bin/sh -c 'exit %d'\nExecStart=/bin/sleep 100\nExecStartPre=/bin/touch %%h/pre-%%N\n", n)
	}
	writeUnits(t, c, units)
	tests := []struct {
		unit   string
		code   int
		states string
		cond   string
		log    string
	}{
		{"tyc0", 0, "Result=success\nActiveState=active\nSubState=running\n", "yes", ""},
		{"tyc1", 0, "Result=success\nActiveState=inactive\nSubState=dead\n", "no", "tyc1.service: Skipped due to 'exec-condition'."},
		{"tyc254", 0, "Result=success\nActiveState=inactive\nSubState=dead\n", "no", "Condition check resulted in tyc254.service being skipped."},
		{"tyc255", 1, "Result=exit-code\nActiveState=failed\nSubState=failed\n", "yes", "tyc255.service: Condition check process exited, code=exited, status=255/EXCEPTION"},
		{"tysig", 1, "Result=signal\nActiveState=failed\nSubState=failed\n", "yes", "tysig.service: Condition check process exited, code=killed, status=9/KILL"},
		{"tyign", 0, "Result=success\nActiveState=active\nSubState=running\n", "yes", ""},
	}
	for _, tt := range tests {
		unit := tt.unit + ".service"
		ctl(t, tt.code, "-C", c, "start", unit)
		if got := states(t, c, unit); got != tt.states {
			t.Errorf("%s: %q, want %q", unit, got, tt.states)
		}
		if r := ctl(t, 0, "-C", c, "show", "-p", "ConditionResult", "--value", unit); r.stdout != tt.cond+"\n" {
			t.Errorf("%s: ConditionResult=%q, want %s", unit, r.stdout, tt.cond)
		}
		if tt.log != "" {
			if st := ctlRun(nil, "-C", c, "status", "-n", "20", unit); !strings.Contains(st.stdout, tt.log) {
				t.Errorf("status %s lacks %q:\n%s", unit, tt.log, st.stdout)
			}
		}
		_, err := os.Stat(filepath.Join(homeOf(c), "pre-"+tt.unit))
		if ran := err == nil; ran != (tt.unit == "tyc0") && strings.HasPrefix(tt.unit, "tyc") {
			t.Errorf("%s: ExecStartPre ran: %v", unit, ran)
		}
		ctl(t, 0, "-C", c, "stop", unit)
	}
}

// TestServiceReload: reload runs ExecReload= with $MAINPID while the unit
// is "reloading", a failed ExecReload= fails the job but leaves the
// service running (ReloadResult=exit-code), reload-or-restart reloads
// what can reload and starts what is stopped, and a unit without
// ExecReload= cannot be reloaded, as in systemd 257.
func TestServiceReload(t *testing.T) {
	c := startCapsule(t, "tyrl")
	home := homeOf(c)
	writeUnits(t, c, map[string]string{
		"tyr.service": "[Service]\nExecStart=/bin/sleep 100\n" +
			"ExecReload=/bin/sh -c 'echo $$MAINPID >>%h/reloads; sleep 0.3'\n",
		"tyrfail.service": "[Service]\nExecStart=/bin/sleep 100\nExecReload=/bin/sh -c 'exit 2'\n",
		"tyno.service":    "[Service]\nExecStart=/bin/sleep 100\n",
	})
	ctl(t, 0, "-C", c, "start", "tyr.service")
	var main int
	fmt.Sscan(ctl(t, 0, "-C", c, "show", "-p", "MainPID", "--value", "tyr.service").stdout, &main)
	if r := ctl(t, 0, "-C", c, "show", "-p", "CanReload", "tyr.service", "tyno.service"); r.stdout != "CanReload=yes\n\nCanReload=no\n" {
		t.Errorf("CanReload: %q", r.stdout)
	}
	done := background(t, "-C", c, "reload", "tyr.service")
	waitState(t, c, "tyr.service", "Result=success\nActiveState=reloading\nSubState=reload\n")
	if r := done(); r.code != 0 {
		t.Fatalf("reload: %s", r)
	}
	if got := states(t, c, "tyr.service"); got != "Result=success\nActiveState=active\nSubState=running\n" {
		t.Errorf("after reload: %q", got)
	}
	ctl(t, 0, "-C", c, "reload-or-restart", "tyr.service")
	if b, _ := os.ReadFile(filepath.Join(home, "reloads")); string(b) != fmt.Sprintf("%d\n%d\n", main, main) {
		t.Errorf("ExecReload= ran with MAINPID %q, want %d twice (reload-or-restart reloads)", b, main)
	}
	st := ctl(t, 0, "-C", c, "status", "-n", "20", "tyr.service").stdout
	if !strings.Contains(st, "Reloading tyr.service...") || !strings.Contains(st, "Reloaded tyr.service.") {
		t.Errorf("status lacks the reload lines:\n%s", st)
	}

	ctl(t, 0, "-C", c, "start", "tyrfail.service")
	ctl(t, 1, "-C", c, "reload", "tyrfail.service")
	if r := ctl(t, 0, "-C", c, "show", "-p", "ActiveState,SubState,Result,ReloadResult", "tyrfail.service"); r.stdout !=
		"Result=success\nReloadResult=exit-code\nActiveState=active\nSubState=running\n" {
		t.Errorf("after a failed reload: %q", r.stdout)
	}
	if st := ctl(t, 0, "-C", c, "status", "-n", "20", "tyrfail.service").stdout; !strings.Contains(st, "Reload failed for tyrfail.service.") ||
		!strings.Contains(st, "tyrfail.service: Control process exited, code=exited, status=2/INVALIDARGUMENT") {
		t.Errorf("status lacks the failed reload:\n%s", st)
	}

	r := ctl(t, 3, "-C", c, "reload", "tyno.service")
	if !strings.Contains(r.stderr, "Job type reload is not applicable for unit tyno.service.") {
		t.Errorf("reload without ExecReload=: %s", r)
	}
	ctl(t, 0, "-C", c, "stop", "tyr.service")
	ctl(t, 1, "-C", c, "reload", "tyr.service")
	// Stopped: try-reload-or-restart leaves it, reload-or-restart starts it.
	ctl(t, 0, "-C", c, "try-reload-or-restart", "tyr.service")
	if got := states(t, c, "tyr.service"); got != "Result=success\nActiveState=inactive\nSubState=dead\n" {
		t.Errorf("after try-reload-or-restart of a stopped unit: %q", got)
	}
	ctl(t, 0, "-C", c, "reload-or-restart", "tyr.service")
	waitState(t, c, "tyr.service", "Result=success\nActiveState=active\nSubState=running\n")
	ctl(t, 0, "-C", c, "stop", "tyr.service", "tyrfail.service")
}
