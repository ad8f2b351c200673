package e2e

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// extraManager is a capsuled --system of a test's own, beside the one all
// tests share, with its own runtime directory, cgroup and log; tests use it
// to crash a manager or to give it flags of their own.
type extraManager struct {
	t     *testing.T
	env   []string // points capsulectl at it
	rt    string   // its runtime directory
	cg    string
	args  []string
	start func(*osexec.Cmd) error
	log   string
	cmd   *osexec.Cmd
}

// newManager starts a system manager tagged tag with the extra args. start,
// if not nil, starts the prepared command (from a thread of its choice). It
// is stopped, and its cgroup and runtime directory removed, when the test
// ends.
func newManager(t *testing.T, tag string, args []string, start func(*osexec.Cmd) error) *extraManager {
	t.Helper()
	rt := fmt.Sprintf("/run/capsuled-e2e-%s-%d", tag, os.Getpid())
	m := &extraManager{t: t, env: []string{"CAPSULED_RUNTIME_DIR=" + rt}, rt: rt, cg: e.cgroup + "-" + tag,
		start: start, log: filepath.Join(t.TempDir(), "log")}
	m.args = append([]string{"--system", "--runtime-dir=" + rt, "--cgroup=" + m.cg}, args...)
	if m.start == nil {
		m.start = (*osexec.Cmd).Start
	}
	m.run()
	t.Cleanup(func() {
		if m.cmd != nil {
			m.cmd.Process.Signal(syscall.SIGTERM)
			m.cmd.Wait()
		}
		if err := removeCgroup(m.cg); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		os.RemoveAll(rt)
		if t.Failed() {
			b, _ := os.ReadFile(m.log)
			t.Logf("%s manager's log:\n%s", tag, tail(b, 4096))
		}
	})
	return m
}

// run starts the manager and waits until it answers.
func (m *extraManager) run() {
	m.t.Helper()
	logf, err := os.OpenFile(m.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		m.t.Fatal(err)
	}
	defer logf.Close()
	m.cmd = osexec.Command(filepath.Join(e.bin, "capsuled"), m.args...)
	m.cmd.Stdout, m.cmd.Stderr = logf, logf
	if err := m.start(m.cmd); err != nil {
		m.cmd = nil
		m.t.Fatal(err)
	}
	for i := 0; i < 500 && ctlRunEnv(m.env, "is-system-running").code != 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// kill ends the manager with SIGKILL, as a crash would, and leaves
// whatever it ran behind.
func (m *extraManager) kill() {
	m.cmd.Process.Kill()
	m.cmd.Wait()
	m.cmd = nil
}

// crash kills the manager and starts a new one in its place.
func (m *extraManager) crash() {
	m.kill()
	m.run()
}

// newCapsuleOn returns a capsule name whose capsule is stopped and cleaned
// through the manager env points at when the test ends.
func newCapsuleOn(t *testing.T, env []string, prefix string) string {
	t.Helper()
	name := newCapsule(t, prefix)
	t.Cleanup(func() {
		ctlRunEnv(env, "stop", "capsule@"+name+".service")
		ctlRunEnv(env, "clean", "--what=all", "capsule@"+name+".service")
	})
	return name
}

// TestSystemBootStartsTimers: the system manager boots multi-user.target,
// as systemd boots its default target, so a timer enabled for
// timers.target starts with it and fires.
func TestSystemBootStartsTimers(t *testing.T) {
	const tag = "boot"
	rt := fmt.Sprintf("/run/capsuled-e2e-%s-%d", tag, os.Getpid())
	dir := filepath.Join(rt, "system")
	out := filepath.Join(t.TempDir(), "fired")
	files := map[string]string{
		"e2eboot.timer":   "[Timer]\nOnActiveSec=1ms\nAccuracySec=1ms\n[Install]\nWantedBy=timers.target\n",
		"e2eboot.service": "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo fired >" + out + "'\n",
	}
	if err := os.MkdirAll(filepath.Join(dir, "timers.target.wants"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../e2eboot.timer", filepath.Join(dir, "timers.target.wants/e2eboot.timer")); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, tag, nil, nil)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(out); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the timer enabled for timers.target did not fire after boot: %v", err)
	}
	for _, u := range []string{"multi-user.target", "timers.target", "e2eboot.timer"} {
		if r := ctlRunEnv(m.env, "is-active", u); r.code != 0 {
			t.Errorf("%s after boot: %s", u, r)
		}
	}
}

// TestCgroupFlagNormalized: a --cgroup= given without its leading slash
// (or with a trailing one) is the same cgroup, shown as systemd shows
// cgroups: from the hierarchy's root.
func TestCgroupFlagNormalized(t *testing.T) {
	cg := e.cgroup + "-cgn"
	m := newManager(t, "cgn", []string{"--cgroup=" + strings.TrimPrefix(cg, "/") + "/"}, nil)
	if r := ctlRunEnv(m.env, "show", "-P", "ControlGroup"); r.stdout != cg+"\n" {
		t.Errorf("the manager's ControlGroup: %s, want %s", r, cg)
	}
	if r := ctlRunEnv(m.env, "run", "-q", "-u", "cgn2", "sleep", "1000"); r.code != 0 {
		t.Fatalf("run: %s", r)
	}
	defer ctlRunEnv(m.env, "stop", "cgn2")
	if r := ctlRunEnv(m.env, "status", "cgn2"); !strings.Contains(r.stdout, "     CGroup: "+cg+"/system.slice/cgn2.service\n") {
		t.Errorf("status of a unit: %s\nwant CGroup: %s/system.slice/cgn2.service", r, cg)
	}
}
