package manager

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// watchSocket waits for a connection, starts the service with the
// listening sockets, and waits again once the service has ended.
func (m *Manager) watchSocket(ctx context.Context, u *Unit, st *socketState) {
	var failures []time.Time
	for {
		if err := waitReadable(ctx, st.listeners); err != nil {
			return
		}
		svc, err := m.load(u.sock.Service)
		if err != nil {
			m.logf(u, "%s: cannot activate %s: %s", u.name, u.sock.Service, cleanMessage(err))
			return
		}
		files, err := listenerFiles(st.listeners)
		if err != nil {
			m.logf(u, "%s: %v", u.name, err)
			return
		}
		names := make([]string, len(files))
		for i := range names {
			names[i] = u.sock.FDName
		}
		m.mu.Lock()
		svc.pendingListen, svc.pendingNames = files, names
		m.mu.Unlock()
		svc, err = m.Start(ctx, u.sock.Service)
		closeFiles(files)
		m.mu.Lock()
		svc.pendingListen, svc.pendingNames = nil, nil
		m.mu.Unlock()
		if err != nil {
			// Try again after a pause, as the cause may go away; give up
			// (closing the sockets) when it keeps failing.
			failures = append(failures, time.Now())
			if len(failures) > startLimitBurst {
				failures = failures[1:]
			}
			m.logf(u, "%s: activation of %s failed: %s", u.name, u.sock.Service, cleanMessage(err))
			if len(failures) == startLimitBurst && time.Since(failures[0]) < startLimitInterval {
				m.failSocket(u, st)
				return
			}
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
			continue
		}
		m.mu.Lock()
		rs := svc.run
		m.mu.Unlock()
		if rs == nil {
			continue
		}
		select {
		case <-rs.done:
		case <-ctx.Done():
			return
		}
	}
}

// waitReadable returns when one of ls has a pending connection, or ctx
// ends. A listener cannot be waited on through Go's poller without
// accepting, so each is watched through a non-blocking duplicate, which
// the poller takes: no thread sits blocked per socket.
func waitReadable(ctx context.Context, ls []*os.File) error {
	var files []*os.File
	defer func() { closeFiles(files) }()
	for _, l := range ls {
		rc, err := l.SyscallConn()
		if err != nil {
			return err
		}
		var dup int
		var derr error
		rc.Control(func(fd uintptr) { dup, derr = unix.Dup(int(fd)) })
		if derr != nil {
			return derr
		}
		unix.CloseOnExec(dup)
		if err := unix.SetNonblock(dup, true); err != nil {
			unix.Close(dup)
			return err
		}
		files = append(files, os.NewFile(uintptr(dup), "listener"))
	}
	ready := make(chan error, len(files))
	for _, f := range files {
		rc, err := f.SyscallConn()
		if err != nil {
			return err
		}
		go func() {
			ready <- rc.Read(func(fd uintptr) bool {
				// Check rather than trust the first call: a connection may
				// already be queued, and no new edge would signal it.
				p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
				n, err := unix.Poll(p, 0)
				return err == nil && n > 0
			})
		}()
	}
	var err error
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	}
	// Closing the duplicates ends the other waits.
	closeFiles(files)
	files = nil
	return err
}

// listenerFiles duplicates the listening sockets for a child.
func listenerFiles(ls []*os.File) ([]*os.File, error) {
	var files []*os.File
	for _, l := range ls {
		fd, err := dupFile(l)
		if err != nil {
			closeFiles(files)
			return nil, fmt.Errorf("pass listening socket: %w", err)
		}
		files = append(files, os.NewFile(uintptr(fd), l.Name()))
	}
	return files, nil
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// dupFile duplicates f's descriptor, close-on-exec, without touching its
// blocking mode (f.Fd() would set it blocking).
func dupFile(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(raw uintptr) { fd, derr = unix.FcntlInt(raw, unix.F_DUPFD_CLOEXEC, 3) }); err != nil {
		return -1, err
	}
	return fd, derr
}
