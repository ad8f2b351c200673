package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// TestRunFailedStartKeepsUnit: a transient service whose start fails is
// reported as systemd-run 257 reports it ("Job for X failed because
// ..."), and the failed unit stays, with its result, until reset-failed.
// In the system manager and in a capsule.
func TestRunFailedStartKeepsUnit(t *testing.T) {
	c := startCapsule(t, "rfk")
	for _, where := range [][]string{nil, {"-C", c}} {
		on := func(args ...string) []string { return append(append([]string{}, where...), args...) }
		ctlName := "capsulectl" + strings.Join(append([]string{""}, where...), " ")
		unit := "faenvf.service"
		r := ctl(t, 1, on("run", "-u", unit, "-p", "EnvironmentFile=/nonexistent.env", "/bin/true")...)
		want := "Job for faenvf.service failed because of unavailable resources or another system error.\n" +
			`See "` + ctlName + ` status faenvf.service" and "` + ctlName + ` logs -u faenvf.service" for details.` + "\n"
		if r.stderr != want {
			t.Errorf("%v: run printed %q, want %q", where, r.stderr, want)
		}
		show := ctl(t, 0, on("show", "-p", "LoadState,ActiveState,Result", unit)...).stdout
		if want := "Result=resources\nLoadState=loaded\nActiveState=failed\n"; show != want {
			t.Errorf("%v: show after the failed start: %q, want %q", where, show, want)
		}
		if st := ctlRun(nil, on("status", unit)...); st.code != 3 || !strings.Contains(st.stdout, "Active: failed (Result: resources)") {
			t.Errorf("%v: status after the failed start: %s", where, st)
		}
		ctl(t, 0, on("reset-failed", unit)...)
		ctl(t, 4, on("status", unit)...)
	}
}

// TestRunMissingExecutable: on the system manager, run checks the command
// before making a unit, as systemd-run 257 does on the local machine
// (observed: "Failed to find executable X: No such file or directory",
// "Is a directory", "Not a directory", exit 1, no unit; a file without
// execute permission is accepted). In a capsule the command is found inside
// its sandbox, so the check is the manager's (203/EXEC).
func TestRunMissingExecutable(t *testing.T) {
	for cmd, want := range map[string]string{
		"/nonexistent/rme":   "Failed to find executable /nonexistent/rme: No such file or directory\n",
		"/etc":               "Failed to find executable /etc: Is a directory\n",
		"/etc/hostname/x":    "Failed to find executable /etc/hostname/x: Not a directory\n",
		"rme-no-such-binary": "Failed to find executable rme-no-such-binary: No such file or directory\n",
	} {
		r := ctlRun(nil, "run", "-u", "rmemiss.service", cmd)
		if r.code != 1 || r.stderr != want {
			t.Errorf("run %s: %s\nwant exit 1 and %q", cmd, r, want)
		}
	}
	if r := ctlRun(nil, "status", "rmemiss.service"); r.code != 4 {
		t.Errorf("a refused run left a unit: %s", r)
	}
}

// TestRunWaitSummary: run --wait ends with systemd-run 257's summary
// (observed: "Finished with result: exit-code", "Main processes terminated
// with: code=exited, status=3/NOTIMPLEMENTED", "code=killed,
// status=9/KILL", "Service runtime: 37ms", "CPU time consumed: 6ms"), in
// the system manager and a capsule. Before, the status line read
// "code=exited/status=3" and the runtime and CPU lines were missing.
func TestRunWaitSummary(t *testing.T) {
	c := startCapsule(t, "rws")
	span := `(\d+(\.\d+)?(us|ms|s)|\d+min( \d+(\.\d+)?s)?)`
	for _, where := range [][]string{nil, {"-C", c}} {
		for cmd, want := range map[string]string{
			"exit 3":     `Finished with result: exit-code\nMain processes terminated with: code=exited, status=3/NOTIMPLEMENTED\n`,
			"kill -9 $$": `Finished with result: signal\nMain processes terminated with: code=killed, status=9/KILL\n`,
			"true":       `Finished with result: success\nMain processes terminated with: code=exited, status=0/SUCCESS\n`,
		} {
			r := ctlRun(nil, append(append([]string{}, where...), "run", "--wait", "sh", "-c", cmd)...)
			re := regexp.MustCompile(`\n` + want + `Service runtime: ` + span + `\nCPU time consumed: ` + span + `\n$`)
			if !re.MatchString(r.stderr) {
				t.Errorf("%v run --wait sh -c %q: %s\nwant the summary matching %s", where, cmd, r, re)
			}
		}
	}
}
