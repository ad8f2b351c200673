package manager

import (
	"context"
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// socketState is what a started socket unit holds.
type socketState struct {
	listeners []*net.UnixListener
	cancel    context.CancelFunc
}

// startSocket binds the unit's sockets and starts watching them: the first
// connection starts the service, which is handed the listening sockets.
func (m *Manager) startSocket(u *Unit) error {
	// The manager's own directory holds its control socket, which
	// capsulectl trusts as bound by the manager: a socket the manager binds
	// there for a unit (and hands to the unit) would pass for it.
	own := filepath.Clean(m.cfg.RuntimeDir)
	for _, path := range u.sock.ListenStream {
		if strings.HasPrefix(filepath.Clean(path)+"/", own+"/") {
			return fmt.Errorf("start %s: refusing to listen on %s in the manager's own directory %s", u.name, path, own)
		}
	}
	st := &socketState{}
	for _, path := range u.sock.ListenStream {
		if err := os.MkdirAll(filepath.Dir(path), u.sock.DirectoryMode); err != nil {
			st.close(u.sock)
			return fmt.Errorf("start %s: %w", u.name, err)
		}
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSocket != 0 {
			os.Remove(path)
		}
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			st.close(u.sock)
			return fmt.Errorf("start %s: listen on %s: %w", u.name, path, err)
		}
		l.SetUnlinkOnClose(false)
		st.listeners = append(st.listeners, l)
		if err := os.Chmod(path, u.sock.SocketMode); err != nil {
			st.close(u.sock)
			return fmt.Errorf("start %s: %w", u.name, err)
		}
		if err := m.chownSocket(path, u.sock); err != nil {
			st.close(u.sock)
			return fmt.Errorf("start %s: %w", u.name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	m.mu.Lock()
	u.socket = st
	u.setState(stateActive, subListening)
	m.mu.Unlock()
	m.logf(u, "Listening on %s.", u.ident())
	go m.watchSocket(ctx, u, st)
	return nil
}

func (st *socketState) close(c *socketConfig) {
	if st.cancel != nil {
		st.cancel()
	}
	for _, l := range st.listeners {
		l.Close()
	}
	for _, p := range c.ListenStream {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSocket != 0 && !c.KeepOnStop {
			os.Remove(p)
		}
	}
}

// stopSocket closes the unit's sockets.
func (m *Manager) stopSocket(u *Unit) {
	m.mu.Lock()
	st := u.socket
	u.socket = nil
	u.setState(stateInactive, subDead)
	m.mu.Unlock()
	if st != nil {
		st.close(u.sock)
	}
	m.logf(u, "Closed %s.", u.ident())
}

// failSocket gives up on a socket whose service cannot be started.
func (m *Manager) failSocket(u *Unit, st *socketState) {
	m.mu.Lock()
	if u.socket == st {
		u.socket = nil
		u.result = resultTriggerLimitHit
		u.setState(stateFailed, subFailed)
	}
	m.mu.Unlock()
	st.close(u.sock)
	m.logAt(u, logstore.PriorityWarning, "%s: Failed with result 'trigger-limit-hit'; its service keeps failing to start.", u.name)
}

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
func waitReadable(ctx context.Context, ls []*net.UnixListener) error {
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
func listenerFiles(ls []*net.UnixListener) ([]*os.File, error) {
	var files []*os.File
	for _, l := range ls {
		f, err := l.File()
		if err != nil {
			closeFiles(files)
			return nil, fmt.Errorf("pass listening socket: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
