package manager

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// waitChild waits until child proc, started by os/exec and not yet reaped,
// exits, reaps it and returns how it ended. It waits in the runtime's
// poller on a pidfd rather than in a blocking wait, which holds an OS thread
// per child: with a thousand capsules that was a thousand threads, each one
// more for the reaper to scan on every SIGCHLD. The pidfd takes the place
// of the one os/exec holds, so a child still costs one descriptor: proc is
// released, which sets proc.Pid to -1; callers keep the PID they need.
func waitChild(proc *os.Process) (syscall.WaitStatus, error) {
	pid := proc.Pid
	if pid <= 0 {
		// Never wait4(-1, ...): that would reap any child.
		return 0, fmt.Errorf("wait for pid %d: not a child", pid)
	}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return waitBlocking(proc)
	}
	proc.Release()
	// Non-blocking, so os.NewFile registers it with the poller.
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	if rc, err := f.SyscallConn(); err == nil {
		rc.Read(func(fd uintptr) bool {
			// A pidfd is readable once its process has exited.
			n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 0)
			return n > 0 || (err != nil && err != unix.EINTR)
		})
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("wait for pid %d: %w", pid, err)
		}
		return syscall.WaitStatus(ws), nil
	}
}

// waitBlocking is waitChild without a pidfd.
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
