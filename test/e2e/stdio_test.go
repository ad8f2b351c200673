package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStdioInCapsule: standard streams of a capsule's units as systemd
// 257's user manager sets them up (observed there): text on standard
// input, truncate:/append: files in the home, inherit (the unit's log),
// null, SyslogIdentifier= in the log, and a file that cannot be opened
// failing with 209/STDOUT or 208/STDIN.
func TestStdioInCapsule(t *testing.T) {
	c := startCapsule(t, "stdio")
	writeUnits(t, c, map[string]string{
		"data.service": "[Service]\nType=oneshot\nStandardInputText=line one\nStandardInputText=line two\n" +
			"StandardOutput=truncate:%h/out.txt\nStandardError=append:%h/err.txt\nExecStart=/bin/sh -c 'cat; echo to-err >&2'\n",
		"inh.service":    "[Service]\nType=oneshot\nStandardOutput=inherit\nExecStart=/bin/sh -c 'echo inherit-out; echo inherit-err >&2'\n",
		"null.service":   "[Service]\nType=oneshot\nStandardError=null\nSyslogIdentifier=exident\nExecStart=/bin/sh -c 'echo shown-out; echo hidden-err >&2'\n",
		"badout.service": "[Service]\nType=oneshot\nStandardOutput=file:/nonexistent/dir/x\nExecStart=/bin/echo hi\n",
		"badin.service":  "[Service]\nType=oneshot\nStandardInput=file:/nonexistent/x\nExecStart=/bin/cat\n",
		"b64.service":    "[Service]\nType=oneshot\nStandardInputData=aGVsbG8K\nStandardOutput=file:%h/b64.txt\nExecStart=/bin/cat\n",
	})
	home := "/var/lib/private/capsules/" + c
	if err := os.WriteFile(filepath.Join(home, "err.txt"), []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(filepath.Join(home, "err.txt"), 65534, 65534)
	for _, u := range []string{"data.service", "data.service", "inh.service", "null.service", "b64.service"} {
		ctl(t, 0, "-C", c, "start", u)
	}
	for file, want := range map[string]string{
		"out.txt": "line one\nline two\n", // truncated on the second run
		"err.txt": "old\nto-err\nto-err\n",
		"b64.txt": "hello\n",
	} {
		if b, err := os.ReadFile(filepath.Join(home, file)); err != nil || string(b) != want {
			t.Errorf("%s: %q (%v), want %q", file, b, err, want)
		}
	}
	logs := logsWith(t, "inherit-err", "-C", c, "logs", "-u", "inh.service")
	if !strings.Contains(logs, "inherit-out") || !strings.Contains(logs, "inherit-err") {
		t.Errorf("inh.service log:\n%s", logs)
	}
	logs = logsWith(t, "shown-out", "-C", c, "logs", "-u", "null.service")
	if !strings.Contains(logs, "exident[") || !strings.Contains(logs, "shown-out") || strings.Contains(logs, "hidden-err") {
		t.Errorf("null.service log:\n%s", logs)
	}
	for unit, want := range map[string]string{"badout.service": "209/STDOUT", "badin.service": "208/STDIN"} {
		ctl(t, 1, "-C", c, "start", unit)
		step := "Failed at step STDOUT spawning /bin/echo: No such file or directory"
		if unit == "badin.service" {
			step = "Failed at step STDIN spawning /bin/cat: No such file or directory"
		}
		logs := logsWith(t, step, "-C", c, "logs", "-u", unit)
		if !strings.Contains(logs, unit+": Main process exited, code=exited, status="+want) || !strings.Contains(logs, step) {
			t.Errorf("logs of %s, want %s:\n%s", unit, want, logs)
		}
	}
}

// TestEscapeRootOpenedStdoutFile: a system unit running as another user
// names a file only root may write as its standard output, and one only
// root may read as its standard input. systemd opens them as root and
// hands the descriptors over; capsuled opens them as the unit's user, so
// the start fails (209/STDOUT, 208/STDIN) and the files are untouched.
func TestEscapeRootOpenedStdoutFile(t *testing.T) {
	dir := t.TempDir() // 0700 root
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("root only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "out")
	name := fmt.Sprintf("exsto%d", os.Getpid())
	systemUnit(t, name+"o.service", "[Service]\nType=oneshot\nUser=nobody\nStandardOutput=file:"+target+"\nExecStart=/bin/echo written\n")
	systemUnit(t, name+"i.service", "[Service]\nType=oneshot\nUser=nobody\nStandardInput=file:"+secret+"\nExecStart=/bin/cat\n")
	// A failed system unit would leave the manager degraded.
	t.Cleanup(func() { ctlRun(nil, "reset-failed", name+"o.service", name+"i.service") })
	ctl(t, 0, "daemon-reload")
	for unit, want := range map[string]string{name + "o.service": "209/STDOUT", name + "i.service": "208/STDIN"} {
		ctl(t, 1, "start", unit)
		logs := ctl(t, 0, "logs", "-u", unit).stdout
		if !strings.Contains(logs, unit+": Main process exited, code=exited, status="+want) || strings.Contains(logs, "root only") {
			t.Errorf("logs of %s, want %s:\n%s", unit, want, logs)
		}
	}
	if _, err := os.Stat(target); err == nil {
		t.Errorf("%s was created for a unit of nobody", target)
	}
	// The same unit as root writes it.
	systemUnit(t, name+"r.service", "[Service]\nType=oneshot\nStandardOutput=file:"+target+"\nExecStart=/bin/echo written\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", name+"r.service")
	if b, err := os.ReadFile(target); err != nil || string(b) != "written\n" {
		t.Errorf("root's unit wrote %q (%v)", b, err)
	}
}

// logsWith reads the log capsulectl args print until it holds want (the
// output of a process is copied to the log apart from its exit) and
// returns it.
func logsWith(t *testing.T, want string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		logs := ctl(t, 0, args...).stdout
		if strings.Contains(logs, want) || time.Now().After(deadline) {
			return logs
		}
		time.Sleep(20 * time.Millisecond)
	}
}
