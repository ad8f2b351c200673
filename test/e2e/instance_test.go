package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondManagerSameCgroup starts a second system manager in the cgroup
// of a running one (with a runtime directory of its own). It must refuse
// to start, not take the running capsules for leftovers of a crash and
// kill them, and leave nothing behind.
func TestSecondManagerSameCgroup(t *testing.T) {
	// Registered first, so it runs after the manager has stopped.
	lock := "/run/lock/capsuled/cgroup-" + url.PathEscape(e.cgroup+"-samecg") + ".lock"
	t.Cleanup(func() {
		if _, err := os.Stat(lock); err == nil {
			t.Errorf("%s left after the manager stopped", lock)
		}
	})
	m := newManager(t, "samecg", nil, nil)
	name := newCapsuleOn(t, m.env, "samecg")
	if r := ctlRunEnv(m.env, "start", "capsule@"+name+".service"); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	rt := fmt.Sprintf("/run/capsuled-e2e-samecg2-%d", os.Getpid())
	t.Cleanup(func() { os.RemoveAll(rt) })
	// A manager that does start would serve until killed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := osexec.CommandContext(ctx, filepath.Join(e.bin, "capsuled"), "--system", "--runtime-dir="+rt, "--cgroup="+m.cg)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "already running in cgroup "+m.cg) {
		t.Errorf("second manager in cgroup %s: %v\n%s", m.cg, err, out)
	}
	if _, err := os.Lstat(rt); err == nil {
		t.Errorf("the refused manager left %s behind", rt)
	}
	// Nor may one work above or below it.
	for _, cg := range []string{m.cg + "/capsule.slice", filepath.Dir(m.cg)} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cmd := osexec.CommandContext(ctx, filepath.Join(e.bin, "capsuled"), "--system", "--runtime-dir="+rt, "--cgroup="+cg)
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "another capsuled --system is already running in cgroup") {
			t.Errorf("second manager in cgroup %s, with one in %s: %v\n%s", cg, m.cg, err, out)
		}
	}
	if r := ctlRunEnv(m.env, "is-active", "capsule@"+name+".service"); strings.TrimSpace(r.stdout) != "active" {
		t.Errorf("capsule after a second manager was refused: %s", r)
	}
	waitRunningOn(t, m.env, name)
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("no lock file for the running manager's cgroup: %v", err)
	}
}
