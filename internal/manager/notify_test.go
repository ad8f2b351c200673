package manager

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/cgroup"
	"github.com/capsuled/capsuled/internal/process"
)

// notifyFixture is a manager with bare units, enough for handleNotify.
func notifyFixture(units map[string]*runState) *Manager {
	m := &Manager{units: map[string]*Unit{}}
	for name, rs := range units {
		m.units[name] = &Unit{name: name, kind: serviceKind{m}, run: rs, svc: &serviceConfig{Type: "notify"}}
	}
	return m
}

func newRun(procGroup string, main *process.Process) *runState {
	return &runState{procGroup: procGroup, main: main, ready: make(chan struct{}), done: make(chan struct{})}
}

func liveProcess(pid int) *process.Process { return process.New(pid, "", nil) }

func exitedProcess(pid int) *process.Process {
	p := liveProcess(pid)
	p.Exit(0)
	return p
}

// TestNotifyReadyWhileMainIsRecorded forces the interleaving that lost
// capsule starts under load: READY=1 arrives before the starter has
// recorded the main PID, and the starter records it while the notify
// handler reads the sender's cgroup. The message must still count.
func TestNotifyReadyWhileMainIsRecorded(t *testing.T) {
	pid := os.Getpid()
	cg, err := cgroup.OfPID(pid)
	if err != nil {
		t.Skipf("no cgroup2: %v", err)
	}
	rs := newRun(cg, nil)
	m := notifyFixture(map[string]*runState{"capsule@x.service": rs})
	missed := 0
	m.hooks.notifyPIDMiss = func(int) {
		missed++
		// What startService does right after spawn returns.
		m.mu.Lock()
		rs.main = liveProcess(pid)
		m.mu.Unlock()
	}
	m.handleNotify(pid, "READY=1\nSTATUS=Reached basic.target.")
	if missed != 1 {
		t.Fatalf("the PID lookup missed %d times, want 1: the interleaving was not forced", missed)
	}
	if !isClosed(rs.ready) {
		t.Fatal("READY=1 sent while the main PID was being recorded was lost")
	}
	if got := m.units["capsule@x.service"].statusText; got != "Reached basic.target." {
		t.Errorf("STATUS= = %q, want %q", got, "Reached basic.target.")
	}
}

// TestNotifyMatchesOnlyLiveInvocations checks which invocation a message
// from pid counts for. An ended invocation, or one whose main process has
// exited, keeps the old PID, which the kernel may have handed to another
// unit's main process since.
func TestNotifyMatchesOnlyLiveInvocations(t *testing.T) {
	pid := os.Getpid()
	cg, err := cgroup.OfPID(pid)
	if err != nil {
		t.Skipf("no cgroup2: %v", err)
	}
	ended := func(main *process.Process) *runState {
		rs := newRun("/old", main)
		close(rs.done)
		return rs
	}
	tests := []struct {
		name  string
		units map[string]*runState
		want  string // unit whose invocation must become ready, "" for none
	}{
		{"recorded main", map[string]*runState{"a.service": newRun("/a", liveProcess(pid))}, "a.service"},
		{"main not yet recorded", map[string]*runState{"a.service": newRun(cg, nil)}, "a.service"},
		{"other cgroup", map[string]*runState{"a.service": newRun("/elsewhere", nil)}, ""},
		{"other main", map[string]*runState{"a.service": newRun(cg, liveProcess(pid+1))}, ""},
		{"stopped unit with the old PID, new one starting", map[string]*runState{
			"old.service": ended(exitedProcess(pid)),
			"new.service": newRun(cg, nil),
		}, "new.service"},
		{"stopped unit with the old PID, new one recorded", map[string]*runState{
			"old.service": ended(exitedProcess(pid)),
			"new.service": newRun("/new", liveProcess(pid)),
		}, "new.service"},
		{"ending unit whose main exited", map[string]*runState{
			"old.service": newRun("/old", exitedProcess(pid)),
			"new.service": newRun(cg, nil),
		}, "new.service"},
		{"ended unit only", map[string]*runState{"old.service": ended(liveProcess(pid))}, ""},
	}
	for _, tt := range tests {
		// Map order is random; repeat so a wrong match cannot hide.
		for i := 0; i < 20; i++ {
			m := notifyFixture(tt.units)
			m.handleNotify(pid, "READY=1")
			for name, rs := range tt.units {
				if got := isClosed(rs.ready); got != (name == tt.want) {
					t.Fatalf("%s: %s ready = %v, want %v", tt.name, name, got, name == tt.want)
				}
			}
		}
	}
}

// TestNotifyAccess: whose messages count for a running service, by
// NotifyAccess=: none (for a type that needs none), main, and all (any
// process in the unit's cgroup).
func TestNotifyAccess(t *testing.T) {
	pid := os.Getpid()
	cg, err := cgroup.OfPID(pid)
	if err != nil {
		t.Skipf("no cgroup2: %v", err)
	}
	parent := cg[:strings.LastIndexByte(cg, '/')]
	for _, tt := range []struct {
		name, typ, access, cgroup string
		main, control             int
		want                      bool
	}{
		{"main", "notify", "", "/elsewhere", pid, 0, true},
		{"control, main only", "simple", "main", "/elsewhere", pid + 1, pid, false},
		{"control, exec", "simple", "exec", "/elsewhere", pid + 1, pid, true},
		{"exec, other process", "simple", "exec", cg, pid + 1, pid + 2, false},
		{"not main", "notify", "", cg, pid + 1, 0, false},
		{"all, same cgroup", "notify", "all", cg, pid + 1, 0, true},
		{"all, below the unit's cgroup", "simple", "all", parent, pid + 1, 0, true},
		{"all, other cgroup", "notify", "all", "/elsewhere", pid + 1, 0, false},
		{"none on simple", "simple", "none", cg, pid, 0, false},
		{"none on notify is main", "notify", "none", "/elsewhere", pid, 0, true},
	} {
		rs := newRun("/x", liveProcess(tt.main))
		rs.cgroup = tt.cgroup
		if tt.control != 0 {
			rs.control = liveProcess(tt.control)
		}
		m := &Manager{units: map[string]*Unit{}}
		m.units["a.service"] = &Unit{name: "a.service", kind: serviceKind{m}, run: rs,
			svc: &serviceConfig{Type: tt.typ, NotifyAccess: tt.access}}
		m.handleNotify(pid, "READY=1")
		if got := isClosed(rs.ready); got != tt.want {
			t.Errorf("%s: ready = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDrainNotifyActsOnQueued: what a process queued on the notify socket
// is acted on by drainNotify at once, before the process is reaped, so a
// control process's STATUS= sent just before it exits is not lost to the
// race between reading it and seeing the exit.
func TestDrainNotifyActsOnQueued(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := listenNotify(path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rs := newRun("", nil)
	rs.control = liveProcess(os.Getpid())
	m := notifyFixture(map[string]*runState{"x.service": rs})
	m.units["x.service"].svc.NotifyAccess = "exec"
	r := newNotifyReader(conn, nil)
	out, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	for _, msg := range []string{"STATUS=one", "STATUS=post"} {
		if _, err := out.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	m.drainNotify(r)
	if got := m.units["x.service"].statusText; got != "post" {
		t.Errorf("status after the drain: %q, want %q", got, "post")
	}
}
