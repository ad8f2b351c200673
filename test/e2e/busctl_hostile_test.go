package e2e

import (
	"bytes"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// hostileBus puts testdata/hostilebus.py in place of the capsule's bus
// socket, as a service of the capsule, and waits until it listens.
func hostileBus(t *testing.T, capsule string, size int) {
	t.Helper()
	src, err := os.ReadFile("testdata/hostilebus.py")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join("/var/lib/capsules", capsule, "hostilebus.py")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "run", "-q", "-C", capsule, "-u", "fbc-hostile", "/usr/bin/python3", script, strconv.Itoa(size))
	ready := filepath.Join("/run/capsules", capsule, "fbc-ready")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hostile broker of %s never listened", capsule)
		}
	}
}

// headCounter keeps the first bytes written to it and counts the rest.
type headCounter struct {
	head []byte
	n    int
}

func (h *headCounter) Write(p []byte) (int, error) {
	if len(h.head) < 64 {
		h.head = append(h.head, p[:min(len(p), 64-len(h.head))]...)
	}
	h.n += len(p)
	return len(p), nil
}

// busAsRoot runs capsulectl -C capsule bus args with stdout to out and
// returns its stderr, exit code and peak memory (RSS, KiB).
func busAsRoot(t *testing.T, capsule string, out *headCounter, args ...string) (string, int, int64) {
	t.Helper()
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), append([]string{"-C", capsule, "bus"}, args...)...)
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &errb
	cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("capsulectl did not run: %s", errb.String())
	}
	return errb.String(), cmd.ProcessState.ExitCode(), cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
}

// TestEscapeBusHostileBrokerMemory is a capsule that replaces its bus
// with its own server to make root's capsulectl use many times the
// memory it sends: a 16 MiB byte array in a reply (once 56 bytes per
// byte: 2.8 GB), and 40 MiB of messages before a reply (once kept,
// each decoded in full). capsulectl's peak memory must stay a small
// multiple of one message, and the flood must fail the call clearly.
func TestEscapeBusHostileBrokerMemory(t *testing.T) {
	name := startCapsule(t, "fbcmem")
	const size = 16 << 20
	hostileBus(t, name, size)
	t.Run("large ay", func(t *testing.T) {
		var out headCounter
		stderr, code, rss := busAsRoot(t, name, &out, "call", "org.x", "/x", "org.x", "Big")
		if code != 0 || !strings.HasPrefix(string(out.head), "ay 16777216 65 65 65 ") || out.n != len("ay 16777216")+3*size+1 {
			t.Errorf("call: %d %q %q (%d bytes)", code, stderr, out.head, out.n)
		}
		if rss > 8*size>>10 {
			t.Errorf("a %d-byte reply took capsulectl to %d KiB", size, rss)
		}
		t.Logf("peak RSS for a 16 MiB ay: %d KiB", rss)
	})
	t.Run("flood before the reply", func(t *testing.T) {
		var out headCounter
		stderr, code, rss := busAsRoot(t, name, &out, "call", "org.x", "/x", "org.x", "Flood")
		if code != 1 || stderr != "Call failed: more than 16 MiB of other messages arrived before the reply\n" {
			t.Errorf("flood: %d %q %q", code, stderr, out.head)
		}
		if rss > 8*size>>10 {
			t.Errorf("a flood took capsulectl to %d KiB", rss)
		}
		t.Logf("peak RSS under a flood: %d KiB", rss)
	})
	// One child with a 1 MiB name that lists 2,000 children: every path
	// kept by tree once came to 2 GB; it now stops at 16 MiB of paths.
	t.Run("tree of long paths", func(t *testing.T) {
		var out headCounter
		stderr, code, rss := busAsRoot(t, name, &out, "tree", "org.x")
		if code != 1 || !strings.Contains(stderr, "Failed to introspect service org.x: more than 100000 objects or 16 MiB of object paths.") {
			t.Errorf("tree: %d %q %q", code, stderr, out.head)
		}
		if rss > 8*size>>10 {
			t.Errorf("tree took capsulectl to %d KiB", rss)
		}
		t.Logf("peak RSS for tree: %d KiB", rss)
	})
}

// TestEscapeBusErrorForgesLine is a capsule's bus answering root's call
// with an error whose text holds a line break and terminal controls, to
// forge a line of capsulectl's output on root's terminal: they come out
// escaped, on one line.
func TestEscapeBusErrorForgesLine(t *testing.T) {
	name := startCapsule(t, "fbcerr")
	hostileBus(t, name, 1)
	var out headCounter
	stderr, code, _ := busAsRoot(t, name, &out, "call", "org.x", "/x", "org.x", "Err")
	if code != 1 || stderr != `Call failed: denied\x0afake: line\x1b[31m`+"\n" {
		t.Errorf("error reply: %d %q", code, stderr)
	}
}

// TestCapsuleBusJSONAuto: -j is --json=pretty on a terminal and
// --json=short otherwise, as busctl 257's.
func TestCapsuleBusJSONAuto(t *testing.T) {
	name := startCapsule(t, "fbcjson")
	hostileBus(t, name, 1)
	args := []string{"-C", name, "bus", "-j", "call", "org.x", "/x", "org.x", "Ping"}
	if r := ctlRun(nil, args...); r.code != 0 || r.stdout != `{"type":"s","data":["pong"]}`+"\n" {
		t.Errorf("-j to a pipe: %s", r)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), args...)
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	cmd.Stdout, cmd.Stderr = tty, tty
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	got, _ := readAll(ptmx)
	// The terminal turns each "\n" into "\r\n".
	if want := "{\r\n\t\"type\" : \"s\",\r\n\t\"data\" : [\r\n\t\t\"pong\"\r\n\t]\r\n}\r\n"; got != want {
		t.Errorf("-j to a terminal: %q, want %q", got, want)
	}
}

// readAll reads what the terminal holds until its other side is closed.
func readAll(f *os.File) (string, error) {
	var b bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String(), err
		}
	}
}
