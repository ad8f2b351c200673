package cgroup

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nest creates a chain of sub-cgroups below cg, one per name, relative to
// directory descriptors (the path may exceed PATH_MAX), and returns a
// descriptor of the deepest one.
func nest(t *testing.T, h Hierarchy, cg string, names []string) int {
	t.Helper()
	fd, err := unix.Open(h.Path(cg), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		if err := unix.Mkdirat(fd, name, 0o755); err != nil && err != unix.EEXIST {
			unix.Close(fd)
			t.Fatalf("level %d: %v", i, err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	return fd
}

func repeat(name string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = name
	}
	return names
}

// TestDeepTrees lists, kills and removes trees a delegated cgroup's owner
// can build when nothing bounds it: deeper than any recursion limit, and
// with paths longer than PATH_MAX, with a process parked at the bottom.
func TestDeepTrees(t *testing.T) {
	h := testHierarchy(t)
	for _, tc := range []struct {
		name  string
		chain []string
	}{
		{"300 levels", repeat("d", 300)},
		{"beyond PATH_MAX", repeat(strings.Repeat("n", 250), 17)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cg := newTestCgroup(t, h)
			// A side branch, so the walk has to come back up.
			unix.Close(nest(t, h, cg, append(append([]string{}, tc.chain[:len(tc.chain)/2]...), "side")))
			fd := nest(t, h, cg, tc.chain)
			cmd := exec.Command("sleep", "1000")
			cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
			err := cmd.Start()
			unix.Close(fd)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
			if pop, err := h.Populated(cg); err != nil || !pop {
				t.Errorf("Populated = %v, %v; want true", pop, err)
			}
			procs, err := h.Procs(cg)
			if err != nil {
				t.Fatalf("Procs: %v", err)
			}
			want := Process{PID: cmd.Process.Pid, Cgroup: strings.Join(tc.chain, "/")}
			if len(procs) != 1 || procs[0] != want {
				t.Errorf("Procs found %d processes, want only pid %d at depth %d", len(procs), want.PID, len(tc.chain))
			}
			if err := h.RemoveTree(cg); !errors.Is(err, ErrPopulated) {
				t.Errorf("RemoveTree of a populated tree: %v, want ErrPopulated", err)
			}
			if err := h.Kill(cg); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := h.WaitEmpty(ctx, cg); err != nil {
				t.Fatal(err)
			}
			if err := h.RemoveTree(cg); err != nil {
				t.Fatalf("RemoveTree: %v", err)
			}
			if _, err := os.Stat(h.Path(cg)); !os.IsNotExist(err) {
				t.Errorf("%s still exists: %v", cg, err)
			}
		})
	}
}

// TestKillFallbackDeep ends a process parked deeper than PATH_MAX on a
// kernel without cgroup.kill (emulated by calling the fallback).
func TestKillFallbackDeep(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	fd := nest(t, h, cg, repeat(strings.Repeat("k", 250), 17))
	cmd := exec.Command("sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	err := cmd.Start()
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	if err := killEach(h.Path(cg)); err != nil {
		t.Fatalf("killEach: %v", err)
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("sleeper ended with %v, want SIGKILL", err)
	}
}

// TestWalkBoundsDescriptors checks that a walk of a deep, branching tree
// visits every cgroup while holding at most MaxOpenDirs descriptors
// besides its top (and one transient one).
func TestWalkBoundsDescriptors(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	const depth = 120
	// Branches at several depths: "a" continues, "b" is a leaf.
	for _, at := range []int{0, 5, 40, 119} {
		unix.Close(nest(t, h, cg, append(repeat("a", at), "b")))
	}
	unix.Close(nest(t, h, cg, repeat("a", depth)))
	countFDs := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	top, err := openDirAt(unix.AT_FDCWD, h.Path(cg))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(top)
	base := countFDs()
	most, entered, left := 0, 0, 0
	err = walkTree(top, cg, walkFuncs{
		pre: func(fd int, path []string) error {
			entered++
			most = max(most, countFDs()-base)
			return nil
		},
		post: func(parentFD int, name string) error {
			left++
			most = max(most, countFDs()-base)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := depth + 4 + 1; entered != want || left != want-1 {
		t.Errorf("entered %d and left %d cgroups, want %d and %d", entered, left, want, want-1)
	}
	// One more for the descriptor os.ReadDir holds while counting.
	if most > MaxOpenDirs+2 {
		t.Errorf("walk held %d descriptors at once, want at most %d", most-1, MaxOpenDirs+1)
	}
	if got := countFDs(); got != base {
		t.Errorf("%d descriptors leaked", got-base)
	}
}

// TestSetTreeLimits: the limits bound the depth and size of the whole
// subtree, also below a sub-cgroup whose own limits say "max".
func TestSetTreeLimits(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	if err := h.SetTreeLimits(cg, TreeLimits{Depth: 2, Descendants: 3}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ file, want string }{{"cgroup.max.depth", "2\n"}, {"cgroup.max.descendants", "3\n"}} {
		if b, err := os.ReadFile(h.Path(path.Join(cg, f.file))); err != nil || string(b) != f.want {
			t.Errorf("%s = %q, %v; want %q", f.file, b, err, f.want)
		}
	}
	for _, tc := range []struct {
		dir string
		ok  bool
	}{
		{"a", true},
		{"a/b", true},
		{"a/b/c", false}, // depth 3
		{"x", true},
		{"y", false}, // a fourth descendant
	} {
		err := os.Mkdir(h.Path(path.Join(cg, tc.dir)), 0o755)
		if (err == nil) != tc.ok {
			t.Errorf("mkdir %s: %v, want success %v", tc.dir, err, tc.ok)
		}
	}
	if err := h.SetTreeLimits(cg, TreeLimits{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(h.Path(path.Join(cg, "cgroup.max.depth"))); string(b) != "max\n" {
		t.Errorf("cgroup.max.depth = %q after TreeLimits{}, want max", b)
	}
}

// TestWritable: a cgroup2 mounted read-only cannot track processes.
func TestWritable(t *testing.T) {
	h := testHierarchy(t)
	cg := newTestCgroup(t, h)
	if err := h.Writable(cg); err != nil {
		t.Fatalf("Writable on the live hierarchy: %v", err)
	}
	mnt := t.TempDir()
	errc := make(chan error, 1)
	go func() {
		// The thread leaves its private mount namespace behind by ending:
		// a locked goroutine that exits takes its thread with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			errc <- err
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			errc <- err
			return
		}
		if err := unix.Mount("cgroup2", mnt, "cgroup2", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			errc <- err
			return
		}
		errc <- Hierarchy{Root: mnt}.Writable(cg)
	}()
	if err := <-errc; !errors.Is(err, unix.EROFS) {
		t.Errorf("Writable on a read-only cgroup2: %v, want EROFS", err)
	}
}
