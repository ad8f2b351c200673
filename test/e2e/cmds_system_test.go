package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCatKillListInSystemManager: cat, kill and list-unit-files work the
// same in the system manager, on units of its runtime directory.
func TestCatKillListInSystemManager(t *testing.T) {
	name := fmt.Sprintf("cmsys%d.service", counter.Add(1))
	text := "[Unit]\nDescription=cm system\n[Service]\nExecStart=/bin/sleep 1000\n"
	systemUnit(t, name, text)
	// The kill below fails the unit; a failed unit would leave the
	// manager degraded for the tests after this one.
	t.Cleanup(func() { ctlRun(nil, "reset-failed", name) })
	ctl(t, 0, "daemon-reload")
	if r := ctl(t, 0, "cat", name); r.stdout != "# "+filepath.Join(e.runtimeDir, "system", name)+"\n"+text {
		t.Errorf("cat in the system manager: %s", r)
	}
	want := fmt.Sprintf("%-*s STATE  PRESET\n%s static -\n\n1 unit files listed.\n", len(name), "UNIT FILE", name)
	if r := ctl(t, 0, "list-unit-files", name); r.stdout != want {
		t.Errorf("list-unit-files in the system manager: %s\nwant stdout:\n%s", r, want)
	}
	ctl(t, 0, "start", name)
	ctl(t, 0, "kill", "-s", "KILL", "--kill-whom=main", name)
	deadline := time.Now().Add(10 * time.Second)
	got := ""
	for time.Now().Before(deadline) && got != "signal" {
		time.Sleep(10 * time.Millisecond)
		got = strings.TrimSpace(ctl(t, 0, "show", "--value", "-p", "Result", name).stdout)
	}
	if got != "signal" {
		t.Errorf("Result after kill -s KILL --kill-whom=main: %q", got)
	}
}

// TestIsEnabledRuntime: a unit linked into a .wants/ directory of the
// manager's runtime directory (RUNTIME-DIR/system, as systemd's /run) is
// enabled-runtime for is-enabled (exit 0) and list-unit-files, as in
// systemd 257.
func TestIsEnabledRuntime(t *testing.T) {
	name := fmt.Sprintf("ierun%d.service", counter.Add(1))
	systemUnit(t, name, "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n")
	ctl(t, 0, "daemon-reload")
	if r := ctl(t, 1, "is-enabled", name); r.stdout != "disabled\n" {
		t.Errorf("is-enabled without links: %s", r)
	}
	wants := filepath.Join(e.runtimeDir, "system", "multi-user.target.wants")
	link := filepath.Join(wants, name)
	if err := errors.Join(os.MkdirAll(wants, 0o755), os.Symlink(filepath.Join(e.runtimeDir, "system", name), link)); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(link)
	if r := ctl(t, 0, "is-enabled", name); r.stdout != "enabled-runtime\n" {
		t.Errorf("is-enabled of a unit linked in the runtime directory: %s", r)
	}
	want := fmt.Sprintf("%-*s STATE           PRESET\n%s enabled-runtime enabled\n\n1 unit files listed.\n", len(name), "UNIT FILE", name)
	if r := ctl(t, 0, "list-unit-files", name); r.stdout != want {
		t.Errorf("list-unit-files: %s\nwant stdout:\n%s", r, want)
	}
}
