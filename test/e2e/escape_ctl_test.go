package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// keeperScript is a daemon in a capsule that collects descriptors other
// processes of the capsule send it and holds them forever. "read" makes it
// read from the first one it got; "attack" makes it write to and truncate
// every descriptor it holds.
const keeperScript = `
import os, socket, threading
home, rt = os.environ["HOME"], os.environ["XDG_RUNTIME_DIR"]
kept = []
def note(name, data):
    with open(os.path.join(home, name), "ab") as f:
        f.write(data)
def steal(fd):
    while True:
        try:
            b = os.read(fd, 4096)
        except OSError as e:
            note("stolen", b"error %d\n" % e.errno); return
        if not b:
            note("stolen", b"EOF\n"); return
        note("stolen", b)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(os.path.join(rt, "keeper.sock.new")); s.listen(16)
os.rename(os.path.join(rt, "keeper.sock.new"), os.path.join(rt, "keeper.sock"))
while True:
    c, _ = s.accept()
    msg, fds, _, _ = socket.recv_fds(c, 64, 16)
    kept.extend(fds)
    if msg == b"read":
        threading.Thread(target=steal, args=(fds[0],), daemon=True).start()
    if msg == b"attack":
        for fd in kept:
            for f in (lambda: os.write(fd, b"INJECTED\n"), lambda: os.ftruncate(fd, 0)):
                try: f()
                except OSError: pass
    note("keeper.log", msg + b" %d\n" % len(fds))
    c.sendall(b"k")
    c.close()
`

// sendScript hands the descriptors named in argv[2:] to the keeper with
// the message argv[1], and waits until the keeper has them.
const sendScript = `
import os, socket, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(os.path.join(os.environ["XDG_RUNTIME_DIR"], "keeper.sock"))
socket.send_fds(c, [sys.argv[1].encode()], [int(a) for a in sys.argv[2:]])
c.recv(1)
`

// startKeeper runs the keeper in the capsule as a service of its own, so it
// outlives the commands that send it descriptors.
func startKeeper(t *testing.T, capsule string) {
	t.Helper()
	ctl(t, 0, "run", "-q", "-C", capsule, "-u", "keeper", "python3", "-c", keeperScript)
	waitFile(t, "/run/capsules/"+capsule+"/keeper.sock")
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", path)
}

func homeOf(capsule string) string { return "/var/lib/private/capsules/" + capsule }

// waitContent waits until a file in the capsule's home contains want.
func waitContent(t *testing.T, path, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), want) || time.Now().After(deadline) {
			return string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitExit waits for cmd with a bound, killing it if it hangs; it reports
// whether cmd exited by itself.
func waitExit(cmd *osexec.Cmd, d time.Duration) bool {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return false
	}
}

// sameFile reports whether a and b are the same open file (inode).
func sameFile(a, b *syscall.Stat_t) bool { return a.Dev == b.Dev && a.Ino == b.Ino }

// descriptorsOf returns, for every process of uid, what its descriptors
// point to.
func descriptorsOf(uid int) map[string]syscall.Stat_t {
	out := map[string]syscall.Stat_t{}
	for _, pid := range processesOf(uid) {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			var st syscall.Stat_t
			if syscall.Stat(filepath.Join(dir, e.Name()), &st) == nil {
				out[filepath.Join(dir, e.Name())] = st
			}
		}
	}
	return out
}

func TestEscapeRunPipeKeepsCallerTTY(t *testing.T) {
	name := startCapsule(t, "ttyk")
	uid, _ := capsuleUID(t, name)
	startKeeper(t, name)
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer tty.Close()
	var ttySt syscall.Stat_t
	if err := syscall.Fstat(int(tty.Fd()), &ttySt); err != nil {
		t.Fatal(err)
	}
	go func() { // the terminal's screen: keep it from filling up
		buf := make([]byte, 4096)
		for {
			if _, err := ptm.Read(buf); err != nil {
				return
			}
		}
	}()
	// Root runs a command in the capsule from its terminal; the command
	// gives its stdin, stdout and stderr to the keeper and exits.
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), "-C", name, "run", "-q", "-P",
		"python3", "-c", sendScript, "read", "0", "1", "2")
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitExit(cmd, 20*time.Second) {
		t.Fatal("capsulectl run -P did not return after its command ended")
	}
	waitContent(t, homeOf(name)+"/keeper.log", "read 3")
	for path, st := range descriptorsOf(uid) {
		if sameFile(&st, &ttySt) {
			t.Errorf("capsule process holds root's terminal: %s", path)
		}
	}
	// Root types at its terminal after the command has ended.
	ptm.Write([]byte("typed-later-secret\n"))
	stolen := waitContent(t, homeOf(name)+"/stolen", "\n")
	if strings.Contains(stolen, "typed-later-secret") {
		t.Errorf("the capsule read what root typed after the command ended: %q", stolen)
	}
}

func TestEscapeRunPipeAppendFile(t *testing.T) {
	name := startCapsule(t, "appf")
	uid, _ := capsuleUID(t, name)
	startKeeper(t, name)
	logPath := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(logPath, []byte("root's earlier line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// stderr goes into a pipeline, whose reader waits for end of file.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	var logSt, pipeSt syscall.Stat_t
	syscall.Fstat(int(logf.Fd()), &logSt)
	syscall.Fstat(int(pw.Fd()), &pipeSt)
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), "-C", name, "run", "-q", "-P",
		"sh", "-c", `python3 -c "$1" keep 1 2 && echo visible-output && echo visible-error >&2`, "sh", sendScript)
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	cmd.Stdout, cmd.Stderr = logf, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var errOut bytes.Buffer
	var readErr error
	readDone := make(chan struct{})
	pr.SetReadDeadline(time.Now().Add(20 * time.Second))
	go func() { _, readErr = errOut.ReadFrom(pr); close(readDone) }()
	if !waitExit(cmd, 20*time.Second) {
		t.Fatal("capsulectl run -P did not return although a daemon holds its pipes")
	}
	<-readDone
	if readErr != nil {
		t.Errorf("the pipeline after capsulectl never saw end of file: %v", readErr)
	}
	if !strings.Contains(errOut.String(), "visible-error") {
		t.Errorf("stderr pipeline got %q", errOut.String())
	}
	waitContent(t, homeOf(name)+"/keeper.log", "keep 2")
	for path, st := range descriptorsOf(uid) {
		if sameFile(&st, &logSt) || sameFile(&st, &pipeSt) {
			t.Errorf("capsule process holds root's file or pipe: %s", path)
		}
	}
	// Later the daemon writes to and truncates what it kept.
	ctl(t, 0, "run", "-q", "-C", name, "-P", "python3", "-c", sendScript, "attack")
	waitContent(t, homeOf(name)+"/keeper.log", "attack 0")
	b, _ := os.ReadFile(logPath)
	if string(b) != "root's earlier line\nvisible-output\n" {
		t.Errorf("root's log file was changed by the capsule: %q", b)
	}
}

// TestRunPipeRelaysBytesExactly: the relay keeps streams apart and every
// byte as it was, binary data and end of input included.
func TestRunPipeRelaysBytesExactly(t *testing.T) {
	name := startCapsule(t, "bytes")
	data := make([]byte, 8<<20)
	rand.Read(data)
	sum := sha256.Sum256(data)
	script := `import sys, hashlib
d = sys.stdin.buffer.read()
sys.stdout.buffer.write(d)
sys.stderr.write(hashlib.sha256(d).hexdigest() + "\n")`
	r := ctlWithStdin(t, string(data), "run", "-q", "-C", name, "-P", "python3", "-c", script)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stdout != string(data) {
		t.Errorf("stdout differs from stdin: %d bytes, want %d", len(r.stdout), len(data))
	}
	if strings.TrimSpace(r.stderr) != hex.EncodeToString(sum[:]) {
		t.Errorf("stderr %q, want the command's digest of its input", r.stderr)
	}
}

// fakeManagerScript replaces the capsule manager's socket with its own
// server, as the capsule (which owns that directory) can. argv[1] says how
// it answers: "endless" sends a reply that never ends, "silent" never
// answers, "raw" answers a run with a first reply carrying escape
// sequences and then goes silent.
const fakeManagerScript = `
import json, os, socket, sys, threading, time
mode = sys.argv[1]
path = os.path.join(os.environ["XDG_RUNTIME_DIR"], "capsuled", "io.capsuled.Manager")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path + ".fake"); s.listen(16)
os.rename(path + ".fake", path)
def serve(c):
    buf = b""
    while b"\0" not in buf:
        d = c.recv(65536)
        if not d:
            return
        buf += d
    if mode == "endless":
        c.sendall(b'{"parameters":{"units":[{"name":"')
        for _ in range(1024):  # 64 MiB, and still no end
            c.sendall(b"A" * 65536)
    elif mode == "raw":
        evil = "\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e"
        c.sendall(json.dumps({"parameters": {"unit": evil, "invocationId": evil}, "continues": True}).encode() + b"\0")
    time.sleep(3600)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`

// startFakeManager puts the fake server in place in the capsule.
func startFakeManager(t *testing.T, capsule, mode string) {
	t.Helper()
	sock := "/run/capsules/" + capsule + "/capsuled/io.capsuled.Manager"
	var before syscall.Stat_t
	syscall.Stat(sock, &before)
	ctl(t, 0, "run", "-q", "-C", capsule, "-u", "fakemgr", "python3", "-c", fakeManagerScript, mode)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var st syscall.Stat_t
		if syscall.Stat(sock, &st) == nil && st.Ino != before.Ino {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the fake manager did not replace the socket")
}

// ctlBounded runs capsulectl and kills it if it has not exited in 20 s.
func ctlBounded(t *testing.T, env []string, args ...string) (result, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := osexec.CommandContext(ctx, filepath.Join(e.bin, "capsulectl"), args...)
	cmd.Env = append(append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}, ctx.Err() == nil
}

// checkRefused checks that capsulectl refused a server that is not the
// capsule's manager, promptly and without showing anything it sent.
func checkRefused(t *testing.T, name string, r result, exited bool) {
	t.Helper()
	if !exited {
		t.Fatalf("capsulectl kept talking to a fake manager: %s", r)
	}
	if r.code == 0 || !strings.Contains(r.stderr, "capsule "+name) || !strings.Contains(r.stderr, "not by the capsule's manager") {
		t.Errorf("want a refusal naming the capsule, got %s", r)
	}
}

func TestEscapeFakeManagerEndlessReply(t *testing.T) {
	name := startCapsule(t, "endl")
	startFakeManager(t, name, "endless")
	r, exited := ctlBounded(t, nil, "-C", name, "list-units")
	checkRefused(t, name, r, exited)
}

func TestEscapeFakeManagerSilent(t *testing.T) {
	name := startCapsule(t, "sil")
	startFakeManager(t, name, "silent")
	r, exited := ctlBounded(t, nil, "-C", name, "status", "foo.service")
	checkRefused(t, name, r, exited)
}

// freezeManager stops (SIGSTOP) the capsule's manager from inside the
// capsule, as any process of the capsule may, and thaws it when the test
// ends so the capsule can be stopped.
func freezeManager(t *testing.T, name string) int {
	t.Helper()
	pid := managerPID(t, name)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	// The freezer waits until the manager has answered the run call.
	ctl(t, 0, "run", "-q", "-C", name, "-u", "freeze", "sh", "-c",
		fmt.Sprintf(`while ! test -e "$XDG_RUNTIME_DIR/freeze-now"; do sleep 0.01; done; kill -STOP %d`, pid))
	if err := os.WriteFile("/run/capsules/"+name+"/freeze-now", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, pid)
	return pid
}

func waitStopped(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); strings.Contains(string(b), ") T ") {
			return
		}
	}
	t.Fatalf("process %d was not stopped", pid)
}

func TestEscapeFrozenManagerSilent(t *testing.T) {
	name := startCapsule(t, "frz")
	freezeManager(t, name)
	r, exited := ctlBounded(t, []string{"CAPSULECTL_TIMEOUT=1s"}, "-C", name, "status", "foo.service")
	if !exited {
		t.Fatalf("capsulectl waited forever on a frozen manager: %s", r)
	}
	if r.code == 0 || !strings.Contains(r.stderr, "capsule "+name) || !strings.Contains(r.stderr, "timed out") {
		t.Errorf("want a timeout naming the capsule, got %s", r)
	}
}

// ttyCapsulectl runs capsulectl on a new terminal and returns the
// terminal's two sides and everything shown on it so far.
type ttyCapsulectl struct {
	cmd      *osexec.Cmd
	ptm, tty *os.File
	mu       sync.Mutex
	out      bytes.Buffer
}

func startOnTTY(t *testing.T, env []string, args ...string) *ttyCapsulectl {
	t.Helper()
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	c := &ttyCapsulectl{ptm: ptm, tty: tty}
	c.cmd = osexec.Command(filepath.Join(e.bin, "capsulectl"), args...)
	c.cmd.Env = append(append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir, "TERM=xterm"), env...)
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = tty, tty, tty
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			c.mu.Lock()
			c.out.Write(buf[:n])
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
		ptm.Close()
		tty.Close()
	})
	return c
}

func (c *ttyCapsulectl) shown() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

func (c *ttyCapsulectl) expect(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(c.shown(), s) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("terminal never showed %q; shown: %q", s, c.shown())
}

// cooked reports whether the terminal is back in its normal mode.
func (c *ttyCapsulectl) cooked(t *testing.T) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(c.tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ICANON != 0 && tio.Lflag&unix.ECHO != 0 && tio.Lflag&unix.ISIG != 0
}

func TestEscapeFakeManagerRawMode(t *testing.T) {
	name := startCapsule(t, "rawm")
	startFakeManager(t, name, "raw")
	c := startOnTTY(t, nil, "-C", name, "run", "-t", "sh")
	if !waitExit(c.cmd, 15*time.Second) {
		t.Fatalf("capsulectl kept talking to a fake manager; shown: %q", c.shown())
	}
	if !c.cooked(t) {
		t.Errorf("terminal left in raw mode")
	}
	// capsulectl may exit before the reader has taken its last output
	// from the terminal.
	c.expect(t, "not by the capsule's manager")
	checkNoControls(t, "terminal", c.shown())
}

// TestEscapeFrozenManagerRawMode: the command freezes its manager right
// after run -t has put root's terminal into raw mode; every way out must
// give the terminal back.
func TestEscapeFrozenManagerRawMode(t *testing.T) {
	name := startCapsule(t, "rawf")
	pid := managerPID(t, name)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	tests := []struct {
		name string
		env  []string
		act  func(c *ttyCapsulectl)
	}{
		{"detach with ^]^]^]", nil, func(c *ttyCapsulectl) { c.ptm.Write([]byte{0x1d, 0x1d, 0x1d}) }},
		{"SIGTERM", nil, func(c *ttyCapsulectl) { c.cmd.Process.Signal(syscall.SIGTERM) }},
		{"SIGHUP", nil, func(c *ttyCapsulectl) { c.cmd.Process.Signal(syscall.SIGHUP) }},
		{"SIGINT", nil, func(c *ttyCapsulectl) { c.cmd.Process.Signal(syscall.SIGINT) }},
		{"silence", []string{"CAPSULECTL_TIMEOUT=1s"}, func(c *ttyCapsulectl) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer syscall.Kill(pid, syscall.SIGCONT)
			c := startOnTTY(t, tt.env, "-C", name, "run", "-t", "sh", "-c",
				fmt.Sprintf("echo ready; read x; kill -STOP %d; exec sleep 1000", pid))
			c.expect(t, "ready")
			if c.cooked(t) {
				t.Fatal("run -t shows the command's output but the terminal is not raw")
			}
			c.ptm.Write([]byte("go\r"))
			waitStopped(t, pid)
			tt.act(c)
			if !waitExit(c.cmd, 15*time.Second) {
				t.Fatalf("capsulectl did not let go of the terminal; shown: %q", c.shown())
			}
			if !c.cooked(t) {
				t.Errorf("terminal left in raw mode")
			}
		})
	}
}

// evilBytes carries a raw C1 CSI byte, C1 CSI as a character, a bidi
// override and an isolate, and an ESC sequence; printf(1) octal escapes.
const evilBytes = `\233\302\233\342\200\256\342\201\246\033[7m`

// rawControls are the forms of evilBytes that must never reach root.
var rawControls = []string{"\x9b", "\u009b", "\u202e", "\u2066", "\x1b[7m"}

func checkNoControls(t *testing.T, what, out string) {
	t.Helper()
	for _, c := range rawControls {
		if strings.Contains(out, c) {
			t.Errorf("%s carries %q raw:\n%q", what, c, out)
		}
	}
}

func TestEscapeControlBytesInStatus(t *testing.T) {
	name := startCapsule(t, "ctlb")
	home := homeOf(name)
	// A sub-cgroup with the name, with a process in it.
	ctl(t, 0, "run", "-q", "-C", name, "-u", "subcg", "sh", "-c",
		`cg=$(sed -n 's/^0:://p' /proc/self/cgroup); root=$(awk '$9=="cgroup2"{print $5; exit}' /proc/self/mountinfo)
		n=$(printf 'sub`+evilBytes+`'); mkdir "$root$cg/$n" && echo $$ > "$root$cg/$n/cgroup.procs" && exec sleep 1000`)
	// A drop-in with the name.
	unitDir := home + "/.config/systemd/user"
	evilName, err := osexec.Command("printf", "d"+evilBytes).Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(unitDir+"/dropin.service.d", 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(unitDir+"/dropin.service", []byte("[Service]\nExecStart=/bin/sleep 1000\n"), 0o644)
	os.WriteFile(unitDir+"/dropin.service.d/"+string(evilName)+".conf", []byte("[Unit]\nDescription=drop\n"), 0o644)
	// A process with the name on the capsule's bus, and output with it,
	// which goes to the capsule manager's log and from there (the capsule
	// manager's stderr) to the system manager's.
	marker := fmt.Sprintf("marker-%s-%d", name, time.Now().UnixNano())
	ctl(t, 0, "run", "-q", "-C", name, "-u", "busproc", "sh", "-c",
		`n=$(printf 'b`+evilBytes+`'); cp /usr/bin/gdbus "$HOME/$n"
		printf '`+marker+`-unit `+evilBytes+`\n'
		exec "$HOME/$n" wait --session --timeout 1000 org.example.Never`)

	var st result
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		st = ctl(t, 0, "status", "-n", "50", "capsule@"+name+".service")
		if strings.Contains(st.stdout, "sub\ufffd") && strings.Contains(st.stdout, marker+"-unit") {
			break
		}
	}
	// Varlink is JSON, which carries only UTF-8: the raw byte crosses as
	// U+FFFD, the rest arrives and is escaped.
	if !strings.Contains(st.stdout, "sub\ufffd"+`\u009b\u202e\u2066\x1b[7m`) {
		t.Errorf("status does not show the sub-cgroup escaped:\n%s", st.stdout)
	}
	checkNoControls(t, "status capsule@.service", st.stdout)
	js := ctl(t, 0, "-o", "json", "status", "capsule@"+name+".service")
	checkNoControls(t, "status -o json", js.stdout)
	var u map[string]any
	if err := json.Unmarshal([]byte(js.stdout), &u); err != nil {
		t.Errorf("status -o json is not valid JSON: %v\n%s", err, js.stdout)
	}

	r := ctlRun(nil, "-C", name, "status", "dropin.service")
	if !strings.Contains(r.stdout, "d\ufffd"+`\u009b\u202e\u2066\x1b[7m.conf`) {
		t.Errorf("status does not show the drop-in escaped:\n%s", r)
	}
	checkNoControls(t, "status dropin.service", r.stdout)

	var bus result
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if bus = ctl(t, 0, "-C", name, "bus"); strings.Contains(bus.stdout, `b\x9b`) {
			break
		}
	}
	// capsulectl reads the process name itself (as busctl does): the raw
	// byte arrives and is escaped as such.
	if !strings.Contains(bus.stdout, `b\x9b\u009b\u202e\u2066`) {
		t.Errorf("bus does not show the process escaped:\n%s", bus.stdout)
	}
	checkNoControls(t, "bus", bus.stdout)
	bj := ctl(t, 0, "-C", name, "-o", "json", "bus")
	checkNoControls(t, "bus -o json", bj.stdout)
	if !json.Valid([]byte(bj.stdout)) {
		t.Errorf("bus -o json is not valid JSON:\n%s", bj.stdout)
	}

	// And a system unit's output, straight into the system manager's log
	// (a capsule's output is kept out of it, see TestCleanLogsRemovesManagerOutput).
	sysUnit := "evilout-" + name + ".service"
	systemUnit(t, sysUnit, "[Service]\nType=oneshot\nExecStart=/bin/sh -c \"printf '"+marker+"-system "+evilBytes+"\\\\n'\"\n")
	ctl(t, 0, "start", sysUnit)
	for _, m := range []string{marker + "-system"} {
		var lines []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			lines = nil
			b, _ := os.ReadFile(e.log)
			for _, l := range strings.Split(string(b), "\n") {
				if strings.Contains(l, m) {
					lines = append(lines, l)
				}
			}
			if len(lines) > 0 {
				break
			}
		}
		if len(lines) == 0 {
			t.Errorf("%s never reached the system manager's log", m)
		}
		checkNoControls(t, "system manager's log", strings.Join(lines, "\n"))
	}
}
