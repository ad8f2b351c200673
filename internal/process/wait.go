package process

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// child is a started, not yet reaped child. It is waited for in the
// runtime's poller on a pidfd rather than in a blocking wait, which holds an
// OS thread per child: with a thousand capsules that was a thousand threads,
// each one more for the reaper to scan on every SIGCHLD. The pidfd takes the
// place of the one os/exec holds, so a child still costs one descriptor; it
// also signals the child without the risk of a recycled PID.
type child struct {
	pid   int
	pidfd *os.File    // nil without pidfd support
	proc  *os.Process // set without a pidfd
}

// watchChild takes over proc, started by os/exec and not yet reaped. proc
// is released when a pidfd stands in for it, which sets proc.Pid to -1;
// callers keep the PID they need.
func watchChild(proc *os.Process) (*child, error) {
	pid := proc.Pid
	if pid <= 0 {
		// Never wait4(-1, ...): that would reap any child.
		return nil, fmt.Errorf("wait for pid %d: not a child", pid)
	}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return &child{pid: pid, proc: proc}, nil
	}
	proc.Release()
	// Non-blocking, so os.NewFile registers it with the poller.
	return &child{pid: pid, pidfd: os.NewFile(uintptr(fd), "pidfd")}, nil
}

// signal sends sig to the child until it has been reaped.
func (c *child) signal(sig syscall.Signal) error {
	if c.pidfd == nil {
		return c.proc.Signal(sig)
	}
	rc, err := c.pidfd.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	// Once wait has closed the pidfd, Control fails: nothing to signal.
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return nil
	}
	if errors.Is(serr, unix.ESRCH) {
		return nil
	}
	return serr
}

// wait waits until the child exits, reaps it and returns how it ended.
// before, if set, runs between the exit and the reaping, while the PID
// cannot be reused (without pidfd support: after the reaping).
func (c *child) wait(before func()) (syscall.WaitStatus, error) {
	if c.pidfd == nil {
		ws, err := waitBlocking(c.proc)
		if before != nil {
			before()
		}
		return ws, err
	}
	defer c.pidfd.Close()
	if rc, err := c.pidfd.SyscallConn(); err == nil {
		rc.Read(func(fd uintptr) bool {
			// A pidfd is readable once its process has exited.
			n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 0)
			return n > 0 || (err != nil && err != unix.EINTR)
		})
	}
	if before != nil {
		before()
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("wait for pid %d: %w", c.pid, err)
		}
		return syscall.WaitStatus(ws), nil
	}
}

// waitChild waits for proc (see watchChild) to exit and reaps it.
func waitChild(proc *os.Process) (syscall.WaitStatus, error) {
	c, err := watchChild(proc)
	if err != nil {
		return 0, err
	}
	return c.wait(nil)
}

// waitBlocking is wait without a pidfd.
func waitBlocking(proc *os.Process) (syscall.WaitStatus, error) {
	st, err := proc.Wait()
	if err != nil {
		return 0, fmt.Errorf("wait for pid %d: %w", proc.Pid, err)
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok {
		return 0, errors.New("wait status of unknown type")
	}
	return ws, nil
}
