package e2e

import (
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
	r := ctlRun(nil, "is-system-running")
	if r.code != 0 {
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
	ctl(t, 0, "-C", name, "is-system-running")
}
