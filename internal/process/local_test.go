package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/cgroup"
)

// testCgroup makes a cgroup below the test's own and removes it at the end.
func testCgroup(t *testing.T) (cgroup.Hierarchy, string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to create a cgroup")
	}
	h, err := cgroup.Default()
	if err != nil {
		t.Skipf("no cgroup2: %v", err)
	}
	self, err := cgroup.OfPID(os.Getpid())
	if err != nil {
		t.Skipf("no cgroup2: %v", err)
	}
	cg := filepath.Join(self, fmt.Sprintf("process-test-%d", os.Getpid()))
	if err := h.Create(cg); err != nil {
		t.Skipf("cannot create a cgroup: %v", err)
	}
	t.Cleanup(func() {
		h.Kill(cg)
		for i := 0; i < 100; i++ {
			if err := h.RemoveTree(cg); err == nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Errorf("cgroup %s left behind", cg)
	})
	return h, cg
}

// TestLocalSpawn starts a real process: it must run in the given cgroup,
// its output must arrive line by line, a signal through the handle must
// reach it, and its end must be reported.
func TestLocalSpawn(t *testing.T) {
	h, cg := testCgroup(t)
	l := NewLocal("")
	lines := make(chan string, 10)
	p, err := l.Spawn(&Spec{Path: "/bin/sh", Argv: []string{"sh", "-c", "echo out; echo err >&2; exec sleep 100"},
		Env: []string{"PATH=/usr/bin:/bin"}, Dir: "/", Cgroup: h.Path(cg),
		Output: func(pid int, batch []string) {
			for _, s := range batch {
				lines <- s
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		p.Signal(syscall.SIGKILL)
		<-p.Exited()
	}()
	for _, want := range []string{"out", "err"} {
		select {
		case got := <-lines:
			if got != want {
				t.Errorf("output line %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no output line %q", want)
		}
	}
	in, err := cgroup.OfPID(p.PID)
	if err != nil || in != cg {
		t.Errorf("process in cgroup %q (%v), want %q", in, err, cg)
	}
	if p.HasExited() {
		t.Fatal("exited early")
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM through the handle did not end the process")
	}
	if ws := p.Status(); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("status %v, want killed by SIGTERM", ws)
	}
	// The handle of a reaped process sends nothing, not even to a
	// process that took its PID.
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("signal after exit: %v", err)
	}
}

// TestLocalSpawnMissingProgram reports a program that cannot start.
func TestLocalSpawnMissingProgram(t *testing.T) {
	h, cg := testCgroup(t)
	_, err := NewLocal("").Spawn(&Spec{Path: "/nonexistent/prog", Argv: []string{"prog"}, Dir: "/", Cgroup: h.Path(cg)})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/prog") {
		t.Errorf("Spawn = %v, want an error naming the program", err)
	}
}

// TestBeforeReapSeesZombie: the hook runs after the exit and before the
// reaping, so the PID still names the exited process (a zombie) and the
// handle does not yet report the exit.
func TestBeforeReapSeesZombie(t *testing.T) {
	h, cg := testCgroup(t)
	l := NewLocal("")
	seen := make(chan string, 1)
	var p *Process
	ready := make(chan struct{})
	spec := &Spec{Path: "/bin/sh", Argv: []string{"sh", "-c", "exit 3"}, Env: []string{"PATH=/usr/bin:/bin"},
		Dir: "/", Cgroup: h.Path(cg)}
	spec.BeforeReap = func() {
		<-ready
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID))
		state := "gone"
		if err == nil {
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && len(stat) > i+2 {
				state = string(stat[i+2])
			}
		}
		seen <- fmt.Sprintf("state %s, exited %v", state, p.HasExited())
	}
	p, err := l.Spawn(spec)
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	select {
	case got := <-seen:
		if got != "state Z, exited false" {
			t.Errorf("before reaping: %s, want state Z, exited false", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BeforeReap did not run")
	}
	<-p.Exited()
	if ws := p.Status(); ws.ExitStatus() != 3 {
		t.Errorf("exit status %d, want 3", ws.ExitStatus())
	}
}
