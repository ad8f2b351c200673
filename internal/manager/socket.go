package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/capsuled/capsuled/internal/listen"
	"github.com/capsuled/capsuled/internal/logstore"
)

// socketState is what a started socket unit holds.
type socketState struct {
	// listeners are the unit's listening sockets (or FIFOs and other
	// files), in Listen*= order; the manager owns them while it runs.
	listeners []*os.File
	cancel    context.CancelFunc
	// links are the Symlinks= made, removed with the unit.
	links []string
}

// startSocket opens the unit's listeners and starts watching them: the
// first connection starts the service, which is handed the listeners.
func (m *Manager) startSocket(u *Unit) error {
	// The manager's own directory holds its control socket, which
	// capsulectl trusts as bound by the manager: a socket the manager binds
	// there for a unit (and hands to the unit) would pass for it.
	own := filepath.Clean(m.cfg.RuntimeDir)
	for _, l := range u.sock.Listen {
		if l.HasNode() && strings.HasPrefix(filepath.Clean(l.Path)+"/", own+"/") {
			return fmt.Errorf("start %s: refusing to listen on %s in the manager's own directory %s", u.name, l.Path, own)
		}
	}
	opts := u.sock.Opts
	opts.FIFOUmask = m.fifoUmask()
	if u.sock.User != "" || u.sock.Group != "" {
		uid, gid, err := m.socketOwner(u.sock)
		if err != nil {
			return m.ownerFailed(u, err)
		}
		opts.UID, opts.GID = uid, gid
	}
	st := &socketState{}
	for _, l := range u.sock.Listen {
		f, warnings, err := listen.Open(l, &opts)
		for _, w := range warnings {
			m.logAt(u, logstore.PriorityWarning, "%s: %s", u.name, w)
		}
		if err != nil {
			st.close(u.sock)
			return m.listenFailed(u, err)
		}
		st.listeners = append(st.listeners, f)
	}
	if err := m.makeSymlinks(u, st); err != nil {
		st.close(u.sock)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	m.socketBound(u, st)
	return nil
}

// errChown is a start that failed as systemd's (sd-chown) control process
// does, which is exit-code and not resources.
type errChown struct{ error }

// listenFailed logs a listener that could not be opened as systemd 257
// logs it.
func (m *Manager) listenFailed(u *Unit, err error) error {
	var ce *listen.ChownError
	if errors.As(err, &ce) {
		m.logAt(u, logstore.PriorityErr, "%s: %s", u.name, ce)
		m.logAt(u, logstore.PriorityWarning, "%s: Control process exited, code=exited, status=235/CHOWN", u.name)
		return errChown{fmt.Errorf("start %s: %w", u.name, err)}
	}
	var le *listen.Error
	if errors.As(err, &le) {
		m.logAt(u, logstore.PriorityWarning, "%s: %s", u.name, le)
		what := "Failed to listen on sockets"
		if le.Watch {
			what = "Failed to watch sockets"
		}
		m.logAt(u, logstore.PriorityWarning, "%s: %s: %s", u.name, what, listen.ErrnoText(le.Err))
	}
	return fmt.Errorf("start %s: %w", u.name, err)
}

// socketStartResult is the result of a failed socket start.
func socketStartResult(err error) Result {
	if errors.As(err, new(errChown)) {
		return resultExitCode
	}
	return resultResources
}

func (st *socketState) close(c *socketConfig) {
	if st.cancel != nil {
		st.cancel()
	}
	for _, l := range st.listeners {
		l.Close()
	}
	removeSymlinks(st.links, c)
	if c.KeepOnStop {
		return
	}
	for i, l := range c.Listen {
		// Only what this start made or took over: a listener that failed
		// to open may be someone else's.
		if i < len(st.listeners) {
			listen.Remove(l)
		}
	}
}

// stopSocket closes the unit's listeners.
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
