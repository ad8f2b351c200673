package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTypeExecFailedExecFailsStart: with Type=exec the start job waits for
// the main program's execve(), so a program that is missing or not
// executable, or a working directory that is not there, fails the start
// itself, as in systemd 257; Type=simple's start succeeds and the unit
// fails after. A missing ExecStartPre= binary fails the start with 203/EXEC
// for its command, logged as systemd logs it.
func TestTypeExecFailedExecFailsStart(t *testing.T) {
	c := startCapsule(t, "xpe")
	noexec := filepath.Join("/var/lib/capsules", c, "xpnoexec.sh")
	writeCapsuleFiles(t, c, map[string]string{
		"xpe-missing.service": "[Service]\nType=exec\nExecStart=/nonexistent/xpbin\n",
		"xpe-noexec.service":  "[Service]\nType=exec\nExecStart=" + noexec + "\n",
		"xpe-wd.service":      "[Service]\nType=exec\nWorkingDirectory=/nonexistent-xp\nExecStart=/bin/sleep 1000\n",
		"xpe-ok.service":      "[Service]\nType=exec\nExecStart=/bin/sleep 1000\n",
		"xps-missing.service": "[Service]\nType=simple\nExecStart=/nonexistent/xpbin\n",
		"xpe-pre.service":     "[Service]\nType=exec\nExecStartPre=/nonexistent/xppre\nExecStart=/bin/sleep 1000\n",
	})
	if err := os.WriteFile(noexec, []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ownByCapsule(t, c)
	const failed = "because the control process exited with error code."
	for _, tt := range []struct {
		unit, status, log, log2 string
	}{
		{"xpe-missing", "203", "xpe-missing.service: Unable to locate executable '/nonexistent/xpbin': No such file or directory",
			"xpe-missing.service: Failed at step EXEC spawning /nonexistent/xpbin: No such file or directory"},
		{"xpe-noexec", "203", "xpe-noexec.service: Unable to locate executable '" + noexec + "': Permission denied",
			"xpe-noexec.service: Failed at step EXEC spawning " + noexec + ": Permission denied"},
		{"xpe-wd", "200", "xpe-wd.service: Changing to the requested working directory failed: No such file or directory",
			"xpe-wd.service: Failed at step CHDIR spawning /bin/sleep: No such file or directory"},
	} {
		r := ctl(t, 1, "-C", c, "start", tt.unit)
		if !strings.Contains(r.stderr, "Job for "+tt.unit+".service failed "+failed) {
			t.Errorf("start %s: %s", tt.unit, r)
		}
		for prop, want := range map[string]string{"ActiveState": "failed", "Result": "exit-code", "ExecMainStatus": tt.status} {
			if got := showValue(t, c, tt.unit+".service", prop); got != want {
				t.Errorf("%s: %s=%s, want %s", tt.unit, prop, got, want)
			}
		}
		waitCapsuleLog(t, c, tt.unit, tt.log)
		waitCapsuleLog(t, c, tt.unit, tt.log2)
	}
	ctl(t, 0, "-C", c, "start", "xpe-ok")
	if got := showValue(t, c, "xpe-ok.service", "ActiveState"); got != "active" {
		t.Errorf("Type=exec with a good program: ActiveState=%s", got)
	}
	ctl(t, 0, "-C", c, "start", "xps-missing")
	waitProperty(t, c, "xps-missing.service", "ExecMainStatus", "203")

	if r := ctl(t, 1, "-C", c, "start", "xpe-pre"); !strings.Contains(r.stderr, failed) {
		t.Errorf("start with a missing ExecStartPre= program: %s", r)
	}
	waitCapsuleLog(t, c, "xpe-pre", "xpe-pre.service: Control process exited, code=exited, status=203/EXEC")
	// show gives each command's run as systemd 257 does.
	pre := showValue(t, c, "xpe-pre.service", "ExecStartPre")
	if !regexp.MustCompile(`^\{ path=/nonexistent/xppre ; argv\[\]=/nonexistent/xppre ; ignore_errors=no ; start_time=\[\w{3} [-0-9]+ [:0-9]+ \w+\] ; stop_time=\[\w{3} [-0-9]+ [:0-9]+ \w+\] ; pid=[1-9][0-9]* ; code=exited ; status=203 \}$`).MatchString(pre) {
		t.Errorf("ExecStartPre= after its program was missing: %s", pre)
	}
	if got := showValue(t, c, "xpe-pre.service", "ExecStart"); got != "{ path=/bin/sleep ; argv[]=/bin/sleep 1000 ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }" {
		t.Errorf("ExecStart= that did not run: %s", got)
	}
	if got := showValue(t, c, "xpe-ok.service", "ExecStart"); !strings.Contains(got, " ; stop_time=[n/a] ; pid="+showValue(t, c, "xpe-ok.service", "MainPID")+" ; code=(null) ; status=0/0 }") {
		t.Errorf("ExecStart= of a running service: %s", got)
	}
}
