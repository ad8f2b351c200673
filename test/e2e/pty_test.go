package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminal drives capsulectl on a pseudo terminal, as a user at a
// keyboard would.
type terminal struct {
	t    *testing.T
	ptm  *os.File
	cmd  *osexec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func startTerminal(t *testing.T, rows, cols uint16, args ...string) *terminal {
	t.Helper()
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), args...)
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir, "TERM=xterm")
	ptm, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, ptm: ptm, cmd: cmd, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				close(term.done)
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		ptm.Close()
	})
	return term
}

func (term *terminal) send(s string) {
	if _, err := io.WriteString(term.ptm, s); err != nil {
		term.t.Fatalf("write to terminal: %v", err)
	}
}

// expect waits until the output so far contains s.
func (term *terminal) expect(s string) {
	term.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		term.mu.Lock()
		ok := strings.Contains(term.out.String(), s)
		term.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	term.mu.Lock()
	defer term.mu.Unlock()
	term.t.Fatalf("terminal never showed %q; output so far:\n%s", s, term.out.String())
}

// wait returns capsulectl's exit code.
func (term *terminal) wait() int {
	term.t.Helper()
	done := make(chan error, 1)
	go func() { done <- term.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		term.t.Fatalf("capsulectl did not exit")
	}
	return term.cmd.ProcessState.ExitCode()
}

func TestInteractiveShell(t *testing.T) {
	name := startCapsule(t, "pty")
	uid, _ := capsuleUID(t, name)
	term := startTerminal(t, 33, 101, "run", "-t", "--capsule="+name, "bash", "--norc", "--noprofile", "-i")
	term.send("PS1='cap$ '\n")
	term.expect("cap$ ")
	// Arithmetic proves the shell evaluates what we type.
	term.send("echo result=$((6*7)) uid=$(id -u) tty=$(stat -c %u $(tty))\n")
	term.expect(fmt.Sprintf("result=42 uid=%d tty=%d", uid, uid))
	term.send("stty size\n")
	term.expect("33 101")
	// The window size follows the client's terminal.
	if err := pty.Setsize(term.ptm, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	term.send("stty size\n")
	term.expect("40 120")
	// Line editing: ^U kills the line typed so far.
	term.send("echo wrong\x15echo right-$((1+1))\n")
	term.expect("right-2")
	// ^C interrupts the foreground program, not capsulectl.
	term.send("sleep 100\n")
	time.Sleep(300 * time.Millisecond)
	term.send("\x03")
	term.expect("^C")
	term.send("echo status-$?\n")
	term.expect("status-130")
	term.send("exit 5\n")
	if code := term.wait(); code != 5 {
		t.Errorf("capsulectl exit code %d, want the shell's 5", code)
	}
}

func TestRunPTYExitStatus(t *testing.T) {
	name := startCapsule(t, "ptyx")
	term := startTerminal(t, 24, 80, "run", "-t", "-q", "-C", name, "sh", "-c", "test -t 0 && test -t 1 && echo on-a-tty; exit 9")
	term.expect("on-a-tty")
	if code := term.wait(); code != 9 {
		t.Errorf("exit code %d, want 9", code)
	}
}
