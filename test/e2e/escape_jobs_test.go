package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEscapeListDependenciesExponentialTree gives a capsule 64 targets in
// 32 levels of two, each wanting both of the next level: list-dependencies
// (which descends into targets) would print 2^33 lines as root, asking the
// capsule's manager twice per line. capsulectl stops after a bounded tree
// and says so.
func TestEscapeListDependenciesExponentialTree(t *testing.T) {
	name := startCapsule(t, "ldexp")
	const levels = 32
	files := map[string]string{}
	for i := 0; i < levels; i++ {
		for _, s := range []string{"a", "b"} {
			text := "[Unit]\nDescription=level " + fmt.Sprint(i) + "\n"
			if i+1 < levels {
				text += fmt.Sprintf("Wants=l%da.target l%db.target\n", i+1, i+1)
			}
			files[fmt.Sprintf("l%d%s.target", i, s)] = text
		}
	}
	writeUnits(t, name, files)
	r, exited := ctlBounded(t, nil, "-C", name, "list-dependencies", "l0a.target")
	if !exited {
		t.Fatalf("list-dependencies of an exponential tree did not end in 20 s (%d bytes of output)", len(r.stdout))
	}
	if r.code == 0 || !strings.Contains(r.stderr, "l0a.target") {
		t.Errorf("want a failure naming the unit when the tree is cut short, got exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "l31a.target") {
		t.Errorf("the tree does not reach the last level:\n%.2000s", r.stdout)
	}
	// The same units in --plain, each listed once, are shown in full.
	p := ctl(t, 0, "-C", name, "list-dependencies", "--plain", "l0a.target")
	if n := strings.Count(p.stdout, "\n"); n != 2*levels-1 {
		t.Errorf("list-dependencies --plain: want %d lines, got %d:\n%s", 2*levels-1, n, p.stdout)
	}
}

// TestEscapeConditionDirectoryNotEmptyFIFO has a root unit check a path in
// a capsule's home, which the capsule turns into a FIFO: opening a FIFO
// blocks until a writer comes, and the system manager's start job would
// hang for good. systemd opens the path as a directory, which fails at once
// with ENOTDIR.
func TestEscapeConditionDirectoryNotEmptyFIFO(t *testing.T) {
	name := startCapsule(t, "cfifo")
	inCapsule(t, name, 0, `mkfifo "$HOME/spool"`)
	fifo := filepath.Join(homeOf(name), "spool")
	unit := "cfifo-" + name + ".service"
	systemUnit(t, unit, "[Unit]\nConditionDirectoryNotEmpty=/var/lib/capsules/"+name+"/spool\n"+
		"[Service]\nType=oneshot\nExecStart=/bin/true\n")
	// Whatever happens, let a blocked reader go before the unit is stopped.
	t.Cleanup(func() {
		if fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			time.Sleep(100 * time.Millisecond)
			syscall.Close(fd)
		}
	})
	r, exited := ctlBounded(t, nil, "start", unit)
	if !exited {
		t.Fatal("the system manager's start job hangs on a FIFO in a capsule's home")
	}
	if r.code != 0 {
		t.Fatalf("start %s: %s", unit, r)
	}
	if st := ctl(t, 0, "show", "--value", "-p", "ConditionResult", unit); strings.TrimSpace(st.stdout) != "no" {
		t.Errorf("ConditionResult of a FIFO as DirectoryNotEmpty: want no, got %q", st.stdout)
	}
	if _, err := os.Lstat(fifo); err != nil {
		t.Errorf("the FIFO: %v", err)
	}
}

// socketFakeManager serves the listening socket it is handed (a socket
// unit's) and answers every call as a manager whose state is "pwned".
const socketFakeManager = `
import json, socket, threading
s = socket.socket(fileno=3)
def serve(c):
    buf = b""
    while True:
        while b"\0" not in buf:
            d = c.recv(65536)
            if not d:
                return
            buf += d
        _, buf = buf.split(b"\0", 1)
        c.sendall(json.dumps({"parameters": {"state": "pwned", "version": "pwned"}}).encode() + b"\0")
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`

// TestEscapeSocketUnitPassesForManager has the capsule's manager bind a
// socket for a socket unit of the capsule, served by the capsule's own
// service: the listener's PID is the manager's, which is all capsulectl
// checked. Moved to the control socket's path (the capsule owns that
// directory), or bound there by the manager itself, root would talk to the
// capsule's server as to its manager.
func TestEscapeSocketUnitPassesForManager(t *testing.T) {
	name := startCapsule(t, "sockimp")
	writeUnits(t, name, map[string]string{
		"fake.socket":  "[Socket]\nListenStream=%t/fake.sock\n",
		"fake.service": "[Service]\nExecStart=/usr/bin/python3 %h/fake.py\n",
		"here.socket":  "[Socket]\nListenStream=%t/capsuled/io.capsuled.Manager\nService=fake.service\n",
	})
	if err := os.WriteFile(homeOf(name)+"/fake.py", []byte(socketFakeManager), 0o644); err != nil {
		t.Fatal(err)
	}

	// The manager binds its control socket's path for a unit.
	if r := ctlRun(nil, "-C", name, "start", "here.socket"); r.code == 0 {
		t.Errorf("the capsule's manager listened for a unit on its own control socket's path")
	}
	r, exited := ctlBounded(t, nil, "-C", name, "is-system-running")
	// Degraded: here.socket failed.
	if st := strings.TrimSpace(r.stdout); !exited || st != "running" && st != "degraded" {
		t.Errorf("after here.socket, want the capsule's manager to answer, got %s", r)
	}
	ctlRun(nil, "-C", name, "stop", "here.socket")

	// A socket the manager bound elsewhere, moved into place.
	ctl(t, 0, "-C", name, "start", "fake.socket")
	inCapsule(t, name, 0, `mv "$XDG_RUNTIME_DIR/fake.sock" "$XDG_RUNTIME_DIR/capsuled/io.capsuled.Manager"`)
	r, exited = ctlBounded(t, nil, "-C", name, "is-system-running")
	if !exited {
		t.Fatalf("capsulectl kept talking to the capsule's server: %s", r)
	}
	if r.code == 0 || strings.Contains(r.stdout, "pwned") || !strings.Contains(r.stderr, "capsule "+name) {
		t.Errorf("want a refusal naming the capsule, got %s", r)
	}
}

// TestEscapeStoppingNeverEnds has a capsule announce a stop of its manager
// (STOPPING=1, by sending it SIGTERM) that never finishes: one of its units
// ignores SIGTERM and has TimeoutStopSec=infinity. The system manager
// kept capsule@.service "deactivating" for good, and a start of it waited
// for ever; as in systemd, TimeoutStopSec= of capsule@.service bounds it.
func TestEscapeStoppingNeverEnds(t *testing.T) {
	name := newCapsule(t, "limbo")
	unit := "capsule@" + name + ".service"
	dir := filepath.Join(e.runtimeDir, "system", unit+".d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "timeout.conf"), []byte("[Service]\nTimeoutStopSec=2s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "start", unit)
	waitRunning(t, name)
	writeUnits(t, name, map[string]string{"stubborn.service": "[Service]\nTimeoutStopSec=infinity\nKillMode=none\n" +
		"ExecStart=/usr/bin/python3 -c \"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(100000)\"\n"})
	ctl(t, 0, "-C", name, "start", "stubborn.service")
	old := managerPID(t, name)
	// A unit's parent is the capsule's manager; its shutdown cancels the
	// command's own job, so the exit status tells nothing.
	ctlRun(nil, "run", "-q", "-C", name, "-P", "sh", "-c", `kill -TERM $PPID`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r := ctlRun(nil, "show", "--value", "-p", "ActiveState", unit)
		if r.stdout == "deactivating\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the capsule's manager did not begin to stop: %s", r)
		}
	}
	r, exited := ctlBounded(t, nil, "start", unit)
	if !exited {
		t.Fatalf("start of a capsule whose manager announced a stop it never finishes did not return in 20 s")
	}
	if r.code != 0 {
		t.Fatalf("start %s: %s", unit, r)
	}
	waitRunning(t, name)
	if pid := managerPID(t, name); pid == old {
		t.Errorf("the old manager (PID %d) still answers", old)
	}
}
