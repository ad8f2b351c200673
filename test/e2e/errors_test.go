package e2e

import (
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestInvalidCapsuleNames(t *testing.T) {
	names := []string{"a.b", "a b", "", "..", ".", "a/b", strings.Repeat("c", 30), "ä", "x@y"}
	for _, n := range names {
		for _, args := range [][]string{
			{"-C", n, "is-system-running"},
			{"run", "-C", n, "true"},
			{"start", "capsule@" + n + ".service"},
		} {
			r := ctlRun(nil, args...)
			if r.code == 0 {
				t.Errorf("capsulectl %q succeeded", args)
				continue
			}
			if !strings.Contains(r.stderr, "nvalid") && !(n == "" && strings.Contains(r.stderr, "template")) {
				t.Errorf("capsulectl %q: error does not say the name is invalid: %q", args, r.stderr)
			}
			if n == "a.b" && !strings.Contains(r.stderr, "A-Z a-z 0-9 _ -") && args[0] != "start" {
				t.Errorf("capsulectl %q: error does not state the rule: %q", args, r.stderr)
			}
		}
	}
	// The server checks too: a name the unit syntax allows but the user
	// name rule does not.
	r := ctl(t, 1, "start", "capsule@a.b.service")
	if !strings.Contains(r.stderr, "A-Z a-z 0-9 _ -") {
		t.Errorf("start capsule@a.b.service: %q", r.stderr)
	}
	// Valid but unusual names pass validation and fail only for not running.
	for _, n := range []string{"-x", "123", "a_b-C9", strings.Repeat("b", 29)} {
		r := ctlRun(nil, "-C", n, "is-system-running")
		if r.code != 1 || !strings.Contains(r.stderr, "not running") {
			t.Errorf("-C %q: %s", n, r)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"capsule not running", []string{"-C", "nosuch", "status", "x.service"}, 1, "capsule nosuch: capsule is not running"},
		{"run in missing capsule", []string{"run", "-C", "nosuch", "true"}, 1, "start it with: capsulectl start capsule@nosuch.service"},
		{"unknown unit", []string{"status", "nosuch.service"}, 4, "Unit nosuch.service could not be found."},
		{"start unknown unit", []string{"start", "nosuch.service"}, 5, "nosuch.service not found"},
		{"template without instance", []string{"start", "capsule@.service"}, 1, "template"},
		{"unknown verb", []string{"frobnicate"}, 2, "Unknown command verb"},
		{"clean what", []string{"clean", "--what=bogus", "capsule@x.service"}, 1, "invalid resource type"},
		{"run without command", []string{"run", "-C", "x"}, 2, "Command line to execute required"},
	}
	for _, tt := range tests {
		r := ctlRun(nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%s: capsulectl %q: want exit %d and %q, got %s", tt.name, tt.args, tt.code, tt.msg, r)
		}
	}
}

func TestNoDaemon(t *testing.T) {
	// It answers: "degraded" (exit 1) only says that a unit failed.
	r := ctlRun(nil, "is-system-running")
	if r.code != 0 && r.stdout != "degraded\n" {
		t.Fatalf("daemon under test not running: %s", r)
	}
	cmdEnvOverride := ctlRunEnv([]string{"CAPSULED_RUNTIME_DIR=" + t.TempDir()}, "start", "capsule@x.service")
	if cmdEnvOverride.code != 1 || !strings.Contains(cmdEnvOverride.stderr, "is capsuled --system running?") {
		t.Errorf("no daemon: %s", cmdEnvOverride)
	}
}

func TestNonRootCaller(t *testing.T) {
	name := startCapsule(t, "nonroot")
	nobody := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	for _, args := range [][]string{{"is-system-running"}, {"-C", name, "list-units"}, {"run", "-C", name, "true"}} {
		r := ctlRun(nobody, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "root") {
			t.Errorf("capsulectl %q as nobody: %s", args, r)
		}
	}
	// The capsule is untouched by the attempts.
	waitRunning(t, name)
}

// TestBrokenUnitFile checks that a bad unit file in a capsule's home is
// reported with its location and does not keep the capsule from starting.
func TestBrokenUnitFile(t *testing.T) {
	name := startCapsule(t, "broken")
	dir := "/var/lib/private/capsules/" + name + "/.config/systemd/user"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"syntax.service":  "[Service]\nExecStart=/bin/true\nthis line has no equals sign\n",
		"type.service":    "[Service]\nType=dbus\nExecStart=/bin/true\n",
		"noexec.service":  "[Service]\nExecStart=/nonexistent/binary --flag\n",
		"unknown.service": "[Service]\nExecStart=/bin/sleep 1000\nFrobnicate=yes\n",
	}
	for f, text := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		unit, status string
		startCode    int
		startMsg     string
	}{
		{"syntax.service", "Loaded: error", 1, "syntax.service:3"},
		{"type.service", "Loaded: bad-setting", 1, "no D-Bus service name has been specified"},
		// As in systemd 257, a simple service's start succeeds, then its
		// main process fails with 203/EXEC.
		{"noexec.service", "Loaded: loaded", 0, "/nonexistent/binary"},
		{"unknown.service", "Loaded: loaded", 0, ""},
	}
	for _, tt := range tests {
		r := ctlRun(nil, "-C", name, "start", tt.unit)
		if tt.unit == "noexec.service" {
			waitActive(t, name, tt.unit, "failed")
		}
		// As with systemctl, the reason is in the unit's status when the
		// job's message only says how the unit ended.
		if r.code != tt.startCode || !strings.Contains(r.stderr+status([]string{}, "-C", name, tt.unit), tt.startMsg) {
			t.Errorf("start %s: want exit %d with %q, got %s", tt.unit, tt.startCode, tt.startMsg, r)
		}
		r = ctlRun(nil, "-C", name, "status", tt.unit)
		if !strings.Contains(r.stdout, tt.status) {
			t.Errorf("status %s lacks %q:\n%s", tt.unit, tt.status, r.stdout)
		}
	}
	// An unknown directive is a warning in the unit's log, not a failure.
	if r := ctl(t, 0, "-C", name, "status", "unknown.service"); !strings.Contains(r.stdout, "Frobnicate") {
		t.Errorf("no warning about Frobnicate=:\n%s", r.stdout)
	}
	// Fixed and reloaded, the unit starts.
	os.WriteFile(filepath.Join(dir, "syntax.service"), []byte("[Service]\nExecStart=/bin/sleep 1000\n"), 0o644)
	ctl(t, 0, "-C", name, "daemon-reload")
	ctl(t, 0, "-C", name, "start", "syntax.service")
	ctl(t, 0, "-C", name, "is-active", "syntax.service")
}

// TestUIDRangeExhausted runs a second system manager that may hand out a
// single UID: the second capsule is refused and leaves nothing behind.
func TestUIDRangeExhausted(t *testing.T) {
	uid := freeUID(t)
	env := newManager(t, "range", []string{fmt.Sprintf("--uid-range=%d-%d", uid, uid)}, nil).env
	a, b := newCapsuleOn(t, env, "rnga"), newCapsuleOn(t, env, "rngb")
	if r := ctlRunEnv(env, "start", "capsule@"+a+".service"); r.code != 0 {
		t.Fatalf("first capsule: %s", r)
	}
	if got, _ := capsuleUID(t, a); got != uid {
		t.Errorf("first capsule got UID %d, want %d", got, uid)
	}
	r := ctlRunEnv(env, "start", "capsule@"+b+".service")
	if r.code != 1 || !strings.Contains(r.stderr+status(env, "capsule@"+b+".service"), fmt.Sprintf("no free dynamic UID in %d-%d", uid, uid)) {
		t.Errorf("second capsule in a full range: %s", r)
	}
	for _, p := range []string{"/run/capsules/" + b, "/run/userdb/c-" + b + ".user", "/var/lib/capsules/" + b} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("failed start left %s behind", p)
		}
	}
	if _, ok := capsuleUID(t, b); ok {
		t.Errorf("c-%s resolves after a failed start", b)
	}
	if r := ctlRunEnv(env, "status", "capsule@"+b+".service"); r.code != 3 || !strings.Contains(r.stdout, "failed (Result: resources)") {
		t.Errorf("status after failed start: %s", r)
	}
}

// freeUID finds a dynamic UID nobody uses, from the top of the range, and
// claims it until the test ends: test runs beside this one pick from the
// top too, and a UID one of them uses (or left keys on) would not be free
// for this test's one-UID manager. The claim is an abstract socket, which
// the kernel drops with the process, so nothing is left behind.
func freeUID(t *testing.T) int {
	// A UID that ever had keys keeps its user keyrings for good, so on a
	// machine that has run many capsules the top of the range is used up:
	// the whole dynamic range is searched, the cheap checks first.
	b, err := os.ReadFile("/proc/key-users")
	if err != nil {
		t.Fatal(err)
	}
	hasKeys := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			hasKeys[strings.TrimSuffix(f[0], ":")] = true
		}
	}
	for uid := 65519; uid >= 61184; uid-- {
		if hasKeys[fmt.Sprint(uid)] {
			continue
		}
		if _, err := os.Lstat(fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid)); err == nil {
			continue
		}
		if osexec.Command("getent", "passwd", fmt.Sprint(uid)).Run() == nil {
			continue
		}
		if osexec.Command("getent", "group", fmt.Sprint(uid)).Run() == nil {
			continue
		}
		if keyUsers(t, uid) > 0 || len(processesOf(uid)) > 0 {
			continue
		}
		l, err := net.Listen("unix", fmt.Sprintf("@capsuled-e2e-uid-%d", uid))
		if err != nil {
			continue // claimed by another test run
		}
		t.Cleanup(func() { l.Close() })
		return uid
	}
	t.Fatal("no free UID found")
	return 0
}
