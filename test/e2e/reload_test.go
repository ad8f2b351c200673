package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// capsuleUnitFile is where a capsule's own unit files live.
func capsuleUnitFile(capsule, name string) string {
	return filepath.Join("/var/lib/private/capsules", capsule, ".config/systemd/user", name)
}

func showValue(t *testing.T, capsule, unit, prop string) string {
	t.Helper()
	return strings.TrimSpace(ctl(t, 0, "-C", capsule, "show", "--value", "-p", prop, unit).stdout)
}

// TestReloadRereadsRunningUnit: daemon-reload re-reads a running and a
// failed unit, as systemd's does: the running process keeps running, show
// has the new values at once, the next restart runs the new command, and
// a changed file is flagged (NeedDaemonReload=, status warning) until the
// reload.
func TestReloadRereadsRunningUnit(t *testing.T) {
	c := startCapsule(t, "rld")
	writeUnits(t, c, map[string]string{
		"rl1.service": "[Unit]\nDescription=Old one\n[Service]\nExecStart=/bin/sh -c 'echo rl-v1; exec sleep infinity'\n",
		"rl2.service": "[Unit]\nDescription=Fails\n[Service]\nType=oneshot\nExecStart=/bin/false\n",
		"rl3.service": "[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctl(t, 0, "-C", c, "start", "rl1.service")
	ctl(t, 1, "-C", c, "start", "rl2.service")
	pid := showValue(t, c, "rl1.service", "MainPID")
	if got := showValue(t, c, "rl1.service", "NeedDaemonReload"); got != "no" {
		t.Errorf("NeedDaemonReload before any change: %q", got)
	}

	if err := os.WriteFile(capsuleUnitFile(c, "rl1.service"), []byte("[Unit]\nDescription=New one\nWants=rl3.service\n"+
		"[Service]\nExecStart=/bin/sh -c 'echo rl-v2; exec sleep infinity'\nNice=abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(capsuleUnitFile(c, "rl2.service"), []byte("[Unit]\nDescription=Fixed\n[Service]\nType=oneshot\nExecStart=/bin/true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := showValue(t, c, "rl1.service", "NeedDaemonReload"); got != "yes" {
		t.Errorf("NeedDaemonReload after the file changed: %q", got)
	}
	r := ctlRun(nil, "-C", c, "status", "-n", "0", "rl1.service")
	if !strings.Contains(r.stderr, "Warning: The unit file, source configuration file or drop-ins of rl1.service changed on disk.") {
		t.Errorf("status of a changed unit has no warning: %s", r)
	}

	ctl(t, 0, "-C", c, "daemon-reload")
	// The reload's lines as systemd 257 logs them: who asked, then each
	// re-read unit's warnings once, then the end.
	if l := ctl(t, 0, "-C", c, "logs").stdout; !reloadLinesAround(l, "/var/lib/capsules/"+c+
		"/.config/systemd/user/rl1.service:6: Failed to parse Nice= value, ignoring: abc") {
		t.Errorf("daemon-reload's lines are not systemd's (the warning once, within them):\n%s", l)
	}
	for _, w := range [][3]string{
		{"rl1.service", "Description", "New one"},
		{"rl1.service", "NeedDaemonReload", "no"},
		{"rl1.service", "MainPID", pid},
		{"rl1.service", "ActiveState", "active"},
		{"rl2.service", "Description", "Fixed"},
		{"rl2.service", "ActiveState", "failed"},
		{"rl2.service", "Result", "exit-code"},
	} {
		if got := showValue(t, c, w[0], w[1]); got != w[2] {
			t.Errorf("%s %s after daemon-reload: %q, want %q", w[0], w[1], got, w[2])
		}
	}
	if got := showValue(t, c, "rl1.service", "Wants"); !strings.Contains(got, "rl3.service") {
		t.Errorf("Wants= of rl1.service after daemon-reload: %q", got)
	}
	if got := showValue(t, c, "rl3.service", "WantedBy"); !strings.Contains(got, "rl1.service") {
		t.Errorf("WantedBy= of rl3.service after daemon-reload: %q", got)
	}

	ctl(t, 0, "-C", c, "restart", "rl1.service")
	waitProperty(t, c, "rl3.service", "ActiveState", "active")
	// The output reaches the log a moment after the start.
	deadline := time.Now().Add(10 * time.Second)
	logs := ""
	for time.Now().Before(deadline) && !strings.Contains(logs, "rl-v2") {
		time.Sleep(20 * time.Millisecond)
		logs = ctl(t, 0, "-C", c, "logs", "-u", "rl1.service").stdout
	}
	if !strings.Contains(logs, "rl-v2") {
		t.Errorf("restart after daemon-reload did not run the new command:\n%s", logs)
	}
	ctl(t, 0, "-C", c, "start", "rl2.service")
}

// reloadLinesAround reports whether the manager's log holds warning once,
// within the lines of one reload as systemd 257 logs them: "Reload
// requested from client PID N ('COMM')...", "Reloading...", the warnings,
// "Reloading finished in N ms.".
func reloadLinesAround(log, warning string) bool {
	if strings.Count(log, warning) != 1 {
		return false
	}
	requested := regexp.MustCompile(`: Reload requested from client PID \d+ \('[^']*'\)\.\.\.$`)
	finished := regexp.MustCompile(`: Reloading finished in \d+ ms\.$`)
	lines := strings.Split(log, "\n")
	at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, ": "+warning) })
	if at < 2 {
		return false
	}
	begin := at - 1
	for begin > 0 && !strings.HasSuffix(lines[begin], ": Reloading...") {
		if finished.MatchString(lines[begin]) {
			return false
		}
		begin--
	}
	if begin < 1 || !requested.MatchString(lines[begin-1]) {
		return false
	}
	for _, l := range lines[at+1:] {
		if strings.HasSuffix(l, ": Reloading...") {
			return false
		}
		if finished.MatchString(l) {
			return true
		}
	}
	return false
}
