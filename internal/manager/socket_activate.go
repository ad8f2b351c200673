package manager

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// watchSocket is a listening socket unit's life (Accept=no): it waits for
// a connection, starts the service, which takes the listening sockets of
// every socket unit that triggers it (serviceListenersLocked), and waits
// for the service to end before it looks at the sockets again, so a
// service that runs without accepting costs the manager nothing. As in
// systemd 257, every wake-up counts against TriggerLimit*= (more fail the
// socket with trigger-limit-hit), a service that ends at once is started
// again while a connection waits, until its own start limit refuses it,
// which fails the socket with service-start-limit-hit.
func (m *Manager) watchSocket(ctx context.Context, u *Unit, st *socketState) {
	if u.sock.Accept {
		m.acceptConnections(ctx, u, st)
		return
	}
	limit := u.sock.TriggerLimit.Effective(u.sock.Accepts())
	var triggers rateWindow
	for {
		if !m.followService(ctx, u, st) {
			return
		}
		if err := waitReadable(ctx, st.listeners); err != nil {
			return
		}
		if !triggers.allow(time.Now(), limit) {
			m.logAt(u, logstore.PriorityWarning, "%s: Trigger limit hit, refusing further activation.", u.name)
			m.failSocket(u, st, resultTriggerLimitHit)
			return
		}
		svc, err := m.load(u.sock.Service)
		if err == nil && svc.loadState != loadLoaded {
			err = m.badFileError(svc.name, svc.loadState, svc.loadErr, len(svc.warnings))
		}
		if err != nil {
			m.logAt(u, logstore.PriorityWarning, "%s: Failed to queue service startup job: %s", u.name, cleanMessage(err))
			m.failSocket(u, st, resultResources)
			return
		}
		m.setSocketSub(u, st, subRunning)
		if _, err := m.Start(ctx, u.sock.Service); err != nil && ctx.Err() == nil {
			m.mu.Lock()
			refused := svc.startLimitHitLocked(time.Now())
			m.mu.Unlock()
			if refused {
				m.failSocket(u, st, resultServiceStartLimitHit)
				return
			}
			// Any other failure leaves the socket listening, as in
			// systemd: the next wake-up tries again, within the limits.
		}
	}
}

// followService waits while the socket's service runs (started by a
// connection, by hand or by another socket unit): the sockets are the
// service's then. It returns false when the socket unit stops.
func (m *Manager) followService(ctx context.Context, u *Unit, st *socketState) bool {
	for {
		m.mu.Lock()
		var done chan struct{}
		if svc := m.units[u.sock.Service]; svc != nil && svc.run != nil && !svc.active.isInactiveOrFailed() {
			done = svc.run.done
		}
		m.mu.Unlock()
		if done == nil || isClosed(done) {
			m.setSocketSub(u, st, subListening)
			return ctx.Err() == nil
		}
		m.setSocketSub(u, st, subRunning)
		select {
		case <-done:
		case <-ctx.Done():
			return false
		}
	}
}

// setSocketSub shows whether the socket's service runs (running) or the
// socket waits for a connection (listening).
func (m *Manager) setSocketSub(u *Unit, st *socketState, sub SubState) {
	m.mu.Lock()
	if u.socket == st && u.active == stateActive && u.sub != sub {
		u.setState(stateActive, sub)
	}
	m.mu.Unlock()
}

// startLimitHitLocked reports whether u's start limit refuses starts now
// (systemd's start_limit_hit), whatever result the refusal left.
func (u *Unit) startLimitHitLocked(now time.Time) bool {
	if u.conf == nil {
		return false
	}
	l, w := u.conf.Unit.StartLimit, u.startWindow
	return l.Interval > 0 && l.Burst > 0 && !w.begin.IsZero() && now.Sub(w.begin) <= l.Interval && w.n > l.Burst
}

// rateWindow counts events as systemd's ratelimit does: a window opens
// with an event and lasts the interval; up to Burst events in it are let
// through. An interval or burst of 0 lets everything through.
type rateWindow struct {
	begin time.Time
	n     uint
}

func (w *rateWindow) allow(now time.Time, l unitconf.RateLimit) bool {
	if l.Interval <= 0 || l.Burst == 0 {
		return true
	}
	if w.begin.IsZero() || now.Sub(w.begin) >= l.Interval {
		w.begin, w.n = now, 0
	}
	if w.n < l.Burst {
		w.n++
		return true
	}
	return false
}

// serviceListenersLocked duplicates, for a start of svc, the listening
// sockets of every socket unit that triggers it and listens now: the
// units in TriggeredBy= order, each one's in its Listen*= order, named by
// FileDescriptorName=, as systemd 257 passes them; a start by hand gets
// them too. Callers hold m.mu.
func (m *Manager) serviceListenersLocked(svc *Unit) ([]*os.File, []string) {
	var files []*os.File
	var names []string
	for _, n := range m.graph.Deps(svc.name, job.TriggeredBy) {
		su := m.units[n]
		if su == nil || su.sock == nil || su.socket == nil || su.sock.Accepts() || su.sock.Service != svc.name {
			continue
		}
		fs, err := listenerFiles(su.socket.listeners)
		if err != nil {
			m.logf(svc, "%s: %v", su.name, err)
			continue
		}
		for range fs {
			names = append(names, su.sock.FDName)
		}
		files = append(files, fs...)
	}
	return files, names
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
