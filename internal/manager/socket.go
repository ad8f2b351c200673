package manager

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/capsuled/capsuled/internal/logstore"
)

// socketState is what a started socket unit holds.
type socketState struct {
	// listeners are the unit's listening sockets (or FIFOs and other
	// files), in Listen*= order; the manager owns them while it runs.
	listeners []*os.File
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
		f, err := l.File()
		l.Close()
		if err != nil {
			st.close(u.sock)
			return fmt.Errorf("start %s: listen on %s: %w", u.name, path, err)
		}
		st.listeners = append(st.listeners, f)
		if err := os.Chmod(path, u.sock.SocketMode); err != nil {
			st.close(u.sock)
			return fmt.Errorf("start %s: %w", u.name, err)
		}
		if err := m.chownSocket(path, u.sock); err != nil {
			st.close(u.sock)
			return fmt.Errorf("start %s: %w", u.name, err)
		}
	}
	m.socketBound(u, st)
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

// failSocket gives up on a socket: it stops listening and fails with
// result (trigger-limit-hit, service-start-limit-hit, resources).
func (m *Manager) failSocket(u *Unit, st *socketState, result Result) {
	m.mu.Lock()
	current := u.socket == st
	rs := u.run
	m.mu.Unlock()
	if !current {
		return
	}
	if u.svc != nil && rs != nil && !isClosed(rs.done) {
		m.socketStopRun(u, rs, result, false)
		return
	}
	m.logAt(u, logstore.PriorityWarning, "%s: Failed with result '%s'.", u.name, result)
	m.mu.Lock()
	if u.socket == st {
		u.socket = nil
		u.result = result
		u.setState(stateFailed, subFailed)
	}
	m.mu.Unlock()
	st.close(u.sock)
}
