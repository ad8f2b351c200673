package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Pressing ^] three times within escapeWindow detaches, as in systemd-run.
const (
	escapeChar   = 0x1d
	escapeWindow = time.Second
)

// ptySession forwards between capsulectl's terminal and the pty master
// the command runs on. While it runs, capsulectl's terminal is raw; it is
// restored however the session ends: the command exits, ^]^]^], an
// error, or SIGTERM/SIGHUP/SIGINT sent to capsulectl.
type ptySession struct {
	ptm      *os.File
	out      *outRelay
	detached chan struct{} // closed by ^]^]^]
	signaled chan os.Signal
	winch    chan os.Signal

	sigStop     func()
	finishOnce  sync.Once
	restoreOnce sync.Once
	restoreFn   func()
}

// startPTY puts the terminal in raw mode and starts forwarding. onStop is
// called (once) when the user detaches or a signal arrives, to abort the
// call that waits for the command.
func startPTY(ptm *os.File, stdin *os.File, stdout io.Writer, onStop func(detached bool)) *ptySession {
	s := &ptySession{ptm: ptm, detached: make(chan struct{}), restoreFn: func() {},
		signaled: make(chan os.Signal, 1)}
	in := int(stdin.Fd())
	if term.IsTerminal(in) {
		if old, err := term.MakeRaw(in); err == nil {
			s.restoreFn = func() { term.Restore(in, old) }
		}
		s.winch = make(chan os.Signal, 1)
		signal.Notify(s.winch, syscall.SIGWINCH)
		go func() {
			for range s.winch {
				inheritSize(stdin, ptm)
			}
		}()
	}
	// In raw mode ^C reaches the command; a signal sent to capsulectl
	// itself ends the session with the terminal restored.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
	var stopOnce sync.Once
	stop := func(detached bool) { stopOnce.Do(func() { s.restore(); onStop(detached) }) }
	go func() {
		if v, ok := <-sig; ok {
			s.signaled <- v
			stop(false)
		}
	}()
	s.sigStop = func() { signal.Stop(sig); close(sig) }
	s.out = startOutRelay(ptm, stdout)
	go func() {
		if forwardInput(ptm, stdin) {
			close(s.detached)
			// Stop showing the command's output too.
			ptm.SetReadDeadline(time.Now())
			stop(true)
		}
	}()
	return s
}

// openPTY allocates a pty whose master is in Go's poller, so reading it
// can be given a deadline: a daemon holding the slave must not keep
// capsulectl waiting. (pty.Open's master is blocking.)
func openPTY() (ptm, tty *os.File, err error) {
	m, t, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	defer m.Close()
	fd, err := unix.FcntlInt(m.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		t.Close()
		return nil, nil, fmt.Errorf("pty master: %w", err)
	}
	return os.NewFile(uintptr(fd), m.Name()), t, nil
}

// inheritSize gives the pty the size of capsulectl's terminal, without
// calling ptm.Fd (which would take the master out of the poller).
func inheritSize(stdin, ptm *os.File) {
	ws, err := unix.IoctlGetWinsize(int(stdin.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return
	}
	if rc, err := ptm.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, ws) })
	}
}

// forwardInput copies keystrokes to the command until input ends, and
// reports whether it stopped because ^] was pressed three times within a
// second. Like systemd-run it forwards the ^] characters too.
func forwardInput(dst io.Writer, src io.Reader) bool {
	buf := make([]byte, 4096)
	count := 0
	var first time.Time
	for {
		n, err := src.Read(buf)
		for i := 0; i < n; i++ {
			if buf[i] != escapeChar {
				count = 0
				continue
			}
			now := time.Now()
			if count == 0 || now.Sub(first) > escapeWindow {
				count, first = 1, now
				continue
			}
			if count++; count >= 3 {
				dst.Write(buf[:i])
				return true
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return false
			}
		}
		if err != nil {
			return false
		}
	}
}

func (s *ptySession) restore() { s.restoreOnce.Do(s.restoreFn) }

// isDetached reports whether the user pressed ^]^]^].
func (s *ptySession) isDetached() bool {
	select {
	case <-s.detached:
		return true
	default:
		return false
	}
}

// signal returns the signal that ended the session, if one did.
func (s *ptySession) signal() (os.Signal, bool) {
	select {
	case v := <-s.signaled:
		s.signaled <- v
		return v, true
	default:
		return nil, false
	}
}

// finish drains what the command wrote before it ended (bounded: a daemon
// may hold the terminal open) and restores the terminal.
func (s *ptySession) finish() { s.finishOnce.Do(s.doFinish) }

func (s *ptySession) doFinish() {
	if s.isDetached() {
		s.ptm.SetReadDeadline(time.Now())
	} else {
		s.out.beginDrain()
	}
	s.out.wait()
	s.restore()
	s.sigStop()
	if s.winch != nil {
		signal.Stop(s.winch)
		close(s.winch)
	}
}
