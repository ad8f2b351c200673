package cgroup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// testHierarchy returns the live hierarchy, or skips when the test cannot
// manipulate real cgroups.
func testHierarchy(t *testing.T) Hierarchy {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	h, err := Default()
	if err != nil {
		t.Skipf("no cgroup2: %v", err)
	}
	for _, bin := range []string{"sleep", "sh"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not found", bin)
		}
	}
	return h
}

// newTestCgroup creates a uniquely named cgroup below the test process's
// own one and arranges for it to be emptied and removed after the test,
// whatever its outcome.
func newTestCgroup(t *testing.T, h Hierarchy) string {
	t.Helper()
	self, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	var cg string
	// Mkdir (not Create) fails on an existing name, which makes the
	// chosen name ours alone even if other programs use the same scheme.
	for n := 0; ; n++ {
		cg = path.Join(self, fmt.Sprintf("cgtest-%d-%d", os.Getpid(), n))
		err := os.Mkdir(h.Path(cg), 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || n > 1000 {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := h.Kill(cg); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cleanup: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.WaitEmpty(ctx, cg); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if err := h.RemoveTree(cg); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return cg
}

// startIn starts a command directly inside cgroup cg. The process is
// killed and reaped after the test; cgroup cleanup, registered earlier,
// runs afterwards and catches any descendants.
func startIn(t *testing.T, h Hierarchy, cg string, name string, args ...string) *exec.Cmd {
	t.Helper()
	dir, err := h.OpenDir(cg)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pidCount(t *testing.T, h Hierarchy, cg string, recursive bool) int {
	t.Helper()
	pids, err := h.PIDs(cg, recursive)
	if err != nil {
		t.Fatal(err)
	}
	return len(pids)
}

func TestLifecycle(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)

	sleeper := startIn(t, h, cg, "sleep", "1000")
	pids, err := h.PIDs(cg, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pids, sleeper.Process.Pid) {
		t.Errorf("PIDs(%s) = %v, want it to contain %d", cg, pids, sleeper.Process.Pid)
	}
	if got, err := OfPID(sleeper.Process.Pid); err != nil || got != cg {
		t.Errorf("OfPID = %q, %v; want %q", got, err, cg)
	}
	if pop, err := h.Populated(cg); err != nil || !pop {
		t.Errorf("Populated = %v, %v; want true", pop, err)
	}

	// A shell whose children outlive any single signal to it.
	sub := path.Join(cg, "forker")
	if err := h.Create(sub); err != nil {
		t.Fatal(err)
	}
	forker := startIn(t, h, sub, "sh", "-c", "sleep 1000 & sleep 1000 & wait")
	waitFor(t, "forked children", 5*time.Second, func() bool { return pidCount(t, h, sub, false) == 3 })

	// A process started elsewhere and moved in afterwards.
	moved := exec.Command("sleep", "1000")
	if err := moved.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		moved.Process.Kill()
		moved.Wait()
	})
	sub2 := path.Join(cg, "moved")
	if err := h.Create(sub2); err != nil {
		t.Fatal(err)
	}
	if err := h.AddPID(sub2, moved.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got, err := OfPID(moved.Process.Pid); err != nil || got != sub2 {
		t.Errorf("OfPID(moved) = %q, %v; want %q", got, err, sub2)
	}

	if n := pidCount(t, h, cg, false); n != 1 {
		t.Errorf("non-recursive PIDs: got %d, want 1", n)
	}
	if n := pidCount(t, h, cg, true); n != 5 {
		t.Errorf("recursive PIDs: got %d, want 5", n)
	}

	if err := h.Kill(cg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.WaitEmpty(ctx, cg); err != nil {
		t.Fatal(err)
	}
	if pop, err := h.Populated(cg); err != nil || pop {
		t.Errorf("after kill: Populated = %v, %v; want false", pop, err)
	}
	for _, c := range []*exec.Cmd{sleeper, forker, moved} {
		var exit *exec.ExitError
		if err := c.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("%v: got %v, want killed by SIGKILL", c.Args, err)
		}
	}

	if err := h.RemoveTree(cg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.Path(cg)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after RemoveTree: stat: %v, want not exist", err)
	}
	// Removing again, and waiting on what is gone, are no-ops.
	if err := h.RemoveTree(cg); err != nil {
		t.Errorf("second RemoveTree: %v", err)
	}
	if err := h.WaitEmpty(ctx, cg); err != nil {
		t.Errorf("WaitEmpty on removed cgroup: %v", err)
	}
}

func TestWaitEmptyHonoursContext(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	startIn(t, h, cg, "sleep", "1000")

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.WaitEmpty(ctx, cg)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v", d)
	}

	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := h.WaitEmpty(cancelled, cg); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v, want context.Canceled", err)
	}
}

func TestSignal(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	sub := path.Join(cg, "a", "b")
	if err := h.Create(sub); err != nil {
		t.Fatal(err)
	}
	startIn(t, h, cg, "sleep", "1000")
	startIn(t, h, sub, "sleep", "1000")

	// The waiter must already be blocked when the cgroup empties.
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { done <- h.WaitEmpty(ctx, cg) }()

	if err := h.Signal(cg, syscall.SIGTERM, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "top-level process to exit", 5*time.Second, func() bool { return pidCount(t, h, cg, false) == 0 })
	if n := pidCount(t, h, sub, false); n != 1 {
		t.Fatalf("non-recursive signal reached sub-cgroup: %d left, want 1", n)
	}
	if err := h.Signal(cg, syscall.SIGTERM, true); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestKillFallback(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	sub := path.Join(cg, "forker")
	if err := h.Create(sub); err != nil {
		t.Fatal(err)
	}
	startIn(t, h, sub, "sh", "-c", "sleep 1000 & sleep 1000 & wait")
	waitFor(t, "forked children", 5*time.Second, func() bool { return pidCount(t, h, sub, false) == 3 })

	if err := killEach(h.Path(cg)); err != nil {
		t.Fatal(err)
	}
	if n := pidCount(t, h, cg, true); n != 0 {
		t.Errorf("%d processes left", n)
	}
	// The freeze used while killing must not stay behind.
	data, err := os.ReadFile(filepath.Join(h.Path(cg), "cgroup.freeze"))
	if err == nil && string(data) != "0\n" {
		t.Errorf("cgroup.freeze = %q after kill, want 0", data)
	}
}

func TestRemoveTreePopulated(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	sub := path.Join(cg, "busy")
	if err := h.Create(sub); err != nil {
		t.Fatal(err)
	}
	startIn(t, h, sub, "sleep", "1000")

	err := h.RemoveTree(cg)
	if !errors.Is(err, ErrPopulated) {
		t.Fatalf("got %v, want ErrPopulated", err)
	}
	if _, err := os.Stat(h.Path(sub)); err != nil {
		t.Errorf("populated cgroup vanished: %v", err)
	}
}

func TestDelegate(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	const uid, gid = 65432, 65433
	if err := h.Delegate(cg, uid, gid); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"} {
		fi, err := os.Stat(filepath.Join(h.Path(cg), name))
		if errors.Is(err, fs.ErrNotExist) && name != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != gid {
			t.Errorf("%s: owner %d:%d, want %d:%d", fi.Name(), st.Uid, st.Gid, uid, gid)
		}
	}
	// Files not listed must keep their owner.
	fi, err := os.Stat(filepath.Join(h.Path(cg), "cgroup.events"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Errorf("cgroup.events owner %d, want 0", st.Uid)
	}
}

func TestRootCgroupRefused(t *testing.T) {
	h := testHierarchy(t)
	if _, err := os.Stat(filepath.Join(h.Root, "cgroup.kill")); err == nil {
		t.Skip("root cgroup has cgroup.kill")
	}
	if err := h.Kill("/"); err == nil {
		t.Fatal("Kill(/) succeeded")
	}
	if err := h.WaitEmpty(context.Background(), "/"); err == nil {
		t.Fatal("WaitEmpty(/) succeeded")
	}
}

func TestMissingCgroup(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	gone := path.Join(cg, "never-created")
	if err := h.RemoveTree(gone); err != nil {
		t.Errorf("RemoveTree: %v", err)
	}
	if err := h.Kill(gone); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Kill: got %v, want not exist", err)
	}
	if _, err := h.PIDs(gone, true); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PIDs: got %v, want not exist", err)
	}
	if _, err := h.OpenDir(gone); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenDir: got %v, want not exist", err)
	}
	if err := h.AddPID(gone, os.Getpid()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("AddPID: got %v, want not exist", err)
	}
}
