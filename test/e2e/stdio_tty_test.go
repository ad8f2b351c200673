package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestStdioTTY: StandardInput=tty with TTYPath= makes the terminal the
// service's controlling terminal and standard input, and its outputs
// follow it (StandardOutput= defaults to inherit then, as in systemd).
func TestStdioTTY(t *testing.T) {
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptm.Close()
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts := fmt.Sprintf("/dev/pts/%d", n)
	unit := fmt.Sprintf("extty%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\nStandardInput=tty\nTTYPath="+pts+"\n"+
		"ExecStart=/bin/sh -c 'echo tty=$$(tty) sid=$$(ps -o tty= -p $$$$); echo to-err >&2'\n")
	ctl(t, 0, "daemon-reload")
	got := make(chan string, 1)
	go func() {
		var all []byte
		buf := make([]byte, 512)
		for {
			k, err := ptm.Read(buf)
			all = append(all, buf[:k]...)
			if strings.Contains(string(all), "to-err") || err != nil {
				got <- string(all)
				return
			}
		}
	}()
	ctl(t, 0, "start", unit)
	select {
	case out := <-got:
		want := fmt.Sprintf("tty=%s sid=pts/%d", pts, n)
		if !strings.Contains(out, want) || !strings.Contains(out, "to-err") {
			t.Errorf("terminal got %q, want %q and to-err", out, want)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("nothing on the terminal")
	}
}
