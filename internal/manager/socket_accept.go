package manager

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// acceptCounters are an Accept=yes socket's connection counts, kept across
// its restarts as systemd keeps them. Guarded by Manager.mu.
type acceptCounters struct {
	accepted, refused uint
	connections       uint            // instances running, also after the socket stopped
	perSource         map[string]uint // connections per source (peer address or UID)
}

// peer is what a connection's instance is named and described after.
type peer struct {
	instance    string   // N is put in front: LOCAL-REMOTE or PID-UID
	description string   // 127.0.0.1:53180, [::1]:48328, PID 926/UID 0
	source      string   // what MaxConnectionsPerSource= counts
	env         []string // REMOTE_ADDR=, REMOTE_PORT= (IP only)
}

// acceptConnections accepts the connections of an Accept=yes socket
// until ctx ends, starting one instance of its template per connection.
func (m *Manager) acceptConnections(ctx context.Context, u *Unit, st *socketState) {
	var files []*os.File
	var wg sync.WaitGroup
	lim := &acceptLimits{trigger: u.sock.TriggerLimit.Effective(true), poll: u.sock.PollLimit.Effective(true)}
	for _, l := range st.listeners {
		f, err := nonblockingDup(l)
		if err != nil {
			m.logf(u, "%s: %v", u.name, err)
			continue
		}
		files = append(files, f)
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.acceptFrom(ctx, u, st, f, lim)
		}()
	}
	<-ctx.Done()
	// Closing the duplicates ends the waits in accept.
	closeFiles(files)
	wg.Wait()
}

// nonblockingDup duplicates a listener for Go's poller, which then waits
// for its connections without a thread blocked in accept.
func nonblockingDup(l *os.File) (*os.File, error) {
	fd, err := dupFile(l)
	if err != nil {
		return nil, fmt.Errorf("watch listening socket: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch listening socket: %w", err)
	}
	return os.NewFile(uintptr(fd), l.Name()), nil
}

// acceptLimits are an accepting socket's PollLimit*= and TriggerLimit*=,
// shared by its listeners: a flood of connections pauses the accepting
// (poll limit), and should connections still come faster than the
// trigger limit, the socket fails, as in systemd 257.
type acceptLimits struct {
	mu             sync.Mutex
	trigger, poll  unitconf.RateLimit
	triggers, wake rateWindow
}

// wait returns once the poll limit lets the next connection be taken.
func (l *acceptLimits) wait(ctx context.Context) {
	for {
		l.mu.Lock()
		now := time.Now()
		ok := l.wake.allow(now, l.poll)
		left := l.poll.Interval - now.Sub(l.wake.begin)
		l.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-time.After(left):
		case <-ctx.Done():
			return
		}
	}
}

func (l *acceptLimits) triggered() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.triggers.allow(time.Now(), l.trigger)
}

// acceptFrom accepts l's connections until l is closed.
func (m *Manager) acceptFrom(ctx context.Context, u *Unit, st *socketState, l *os.File, lim *acceptLimits) {
	rc, err := l.SyscallConn()
	if err != nil {
		return
	}
	for ctx.Err() == nil {
		lim.wait(ctx)
		var nfd int
		var aerr error
		err := rc.Read(func(fd uintptr) bool {
			nfd, _, aerr = unix.Accept4(int(fd), unix.SOCK_CLOEXEC)
			return aerr != unix.EAGAIN
		})
		if err != nil {
			return // closed: the socket stopped
		}
		if aerr != nil {
			// The peer gave up before it was accepted, or the manager is
			// out of descriptors: the next connection may fare better.
			if !errors.Is(aerr, unix.ECONNABORTED) && !errors.Is(aerr, unix.EINTR) {
				m.logAt(u, logstore.PriorityWarning, "%s: Failed to accept socket: %s", u.name, errnoText(aerr))
			}
			continue
		}
		conn := os.NewFile(uintptr(nfd), "connection")
		if !lim.triggered() {
			conn.Close()
			m.logAt(u, logstore.PriorityWarning, "%s: Trigger limit hit, refusing further activation.", u.name)
			m.failSocket(u, st, resultTriggerLimitHit)
			return
		}
		m.connection(u, st, conn)
	}
}

// connection counts a new connection against the limits and starts its
// instance, or drops it.
func (m *Manager) connection(u *Unit, st *socketState, conn *os.File) {
	p, err := peerOf(conn)
	if err != nil {
		m.logAt(u, logstore.PriorityWarning, "%s: Failed to determine peer of connection: %v", u.name, err)
		conn.Close()
		return
	}
	m.mu.Lock()
	if u.accept == nil {
		u.accept = &acceptCounters{perSource: map[string]uint{}}
	}
	c := u.accept
	if n := c.connections; n >= u.sock.MaxConnections {
		c.refused++
		m.mu.Unlock()
		m.logAt(u, logstore.PriorityWarning, "%s: Too many incoming connections (%d), dropping connection.", u.name, n)
		conn.Close()
		return
	}
	if max := u.sock.MaxConnectionsPerSource; max > 0 && c.perSource[p.source]+1 > max {
		n := c.perSource[p.source] + 1
		c.refused++
		m.mu.Unlock()
		m.logAt(u, logstore.PriorityWarning, "%s: Too many incoming connections (%d) from source %s, dropping connection.", u.name, n, p.source)
		conn.Close()
		return
	}
	nr := c.accepted
	c.accepted++
	c.connections++
	c.perSource[p.source]++
	m.mu.Unlock()
	go m.startInstance(u, st, conn, p, nr)
}

// releaseConnection gives back a connection's place once its instance has ended.
func (m *Manager) releaseConnection(u *Unit, p peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := u.accept
	c.connections--
	if c.perSource[p.source]--; c.perSource[p.source] == 0 {
		delete(c.perSource, p.source)
	}
}

// startInstance starts NAME@N-LOCAL-REMOTE.service with the connection,
// which it holds until the instance has ended, as systemd does.
func (m *Manager) startInstance(u *Unit, st *socketState, conn *os.File, p peer, nr uint) {
	name := instanceName(u.name, nr, p.instance)
	svc, err := m.load(name)
	if err == nil && svc.loadState != loadLoaded {
		err = errors.New(svc.loadErr)
		if svc.loadState == loadNotFound {
			err = unix.ENOENT
		}
	}
	if err != nil {
		conn.Close()
		m.releaseConnection(u, p)
		m.logAt(u, logstore.PriorityErr, "%s: Failed to load connection service unit: %s", u.name, errnoText(err))
		m.failSocket(u, st, resultResources)
		return
	}
	m.mu.Lock()
	// The name is taken by a unit that is not dead (another socket with
	// the same prefix made it, or it was started by hand): as systemd's
	// service_set_socket_fd(), refuse rather than hand it a second
	// connection it would never read, and fail the socket as for any
	// instance that cannot be started.
	if svc.active != stateInactive || svc.job != nil || svc.pendingListen != nil || (svc.run != nil && !isClosed(svc.run.done)) {
		m.mu.Unlock()
		conn.Close()
		m.releaseConnection(u, p)
		m.logAt(u, logstore.PriorityWarning, "%s: Failed to queue service startup job (Maybe the service file is missing or not a template unit?): %s is not dead", u.name, name)
		m.failSocket(u, st, resultResources)
		return
	}
	if d := svc.conf.Unit.Description; d != "" {
		svc.description = d + " (" + p.description + ")"
	} else {
		svc.description = p.description
	}
	svc.pendingListen, svc.pendingNames = []*os.File{conn}, []string{"connection"}
	svc.activationEnv = p.env
	// Once dead it is unloaded, also when its start job ends after it
	// (a peer that hangs up at once).
	svc.collectDead = true
	// As systemd 257 has it: the instance is ordered after its socket
	// and triggered by it (show, status: TriggeredBy, the socket's
	// Triggers); the edges go when the instance is unloaded.
	f := m.graph.fwd[name]
	for _, d := range []job.Dependency{job.After, job.TriggeredBy} {
		f.add(d, u.name)
		m.graph.edge(name, d, u.name)
	}
	m.graph.fwd[name] = f
	m.mu.Unlock()
	svc, err = m.Start(context.Background(), name)
	m.mu.Lock()
	var rs *runState
	if svc != nil {
		svc.pendingListen, svc.pendingNames = nil, nil
		rs = svc.run
	}
	m.mu.Unlock()
	if err != nil || rs == nil {
		conn.Close()
		m.releaseConnection(u, p)
		if err != nil {
			m.logf(u, "%s: %s", u.name, cleanMessage(err))
		}
		m.collectInstance(svc)
		return
	}
	<-rs.done
	conn.Close()
	m.releaseConnection(u, p)
	m.collectInstance(svc)
}

// collectInstance forgets an instance that ended well, as systemd's
// garbage collection does; a failed one stays until reset-failed.
func (m *Manager) collectInstance(svc *Unit) {
	if svc == nil {
		return
	}
	m.mu.Lock()
	idle := svc.active == stateInactive && svc.job == nil
	m.mu.Unlock()
	if idle {
		m.unload(svc)
	}
}

// instanceName is the unit a connection starts: the socket's prefix, then
// the connection's number and its peer, as systemd 257 names it.
func instanceName(socket string, nr uint, peerPart string) string {
	prefix := strings.TrimSuffix(socket, ".socket")
	if at := strings.IndexByte(prefix, '@'); at >= 0 {
		prefix = prefix[:at]
	}
	return prefix + "@" + strconv.FormatUint(uint64(nr), 10) + "-" + peerPart + ".service"
}

// peerOf reads the connection's local and remote addresses (or, on a
// unix socket, the peer's credentials). Everything here comes from the
// kernel as numbers, whatever name or address the peer chose, so the
// instance name is always a valid one.
func peerOf(conn *os.File) (peer, error) {
	var p peer
	rc, err := conn.SyscallConn()
	if err != nil {
		return p, err
	}
	var perr error
	rc.Control(func(fd uintptr) { p, perr = peerOfFD(int(fd)) })
	return p, perr
}

func peerOfFD(fd int) (peer, error) {
	local, err := unix.Getsockname(fd)
	if err != nil {
		return peer{}, fmt.Errorf("getsockname: %w", err)
	}
	if _, ok := local.(*unix.SockaddrUnix); ok {
		cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil {
			return peer{}, fmt.Errorf("peer credentials: %w", err)
		}
		return unixPeer(cred.Pid, cred.Uid), nil
	}
	remote, err := unix.Getpeername(fd)
	if err != nil {
		return peer{}, fmt.Errorf("getpeername: %w", err)
	}
	la, lport, ok1 := inetAddr(local)
	ra, rport, ok2 := inetAddr(remote)
	if !ok1 || !ok2 {
		return peer{}, fmt.Errorf("unsupported address family")
	}
	return inetPeer(la, lport, ra, rport), nil
}

func unixPeer(pid int32, uid uint32) peer {
	return peer{instance: fmt.Sprintf("%d-%d", pid, uid), description: fmt.Sprintf("PID %d/UID %d", pid, uid),
		source: fmt.Sprintf("UID %d", uid)}
}

func inetAddr(sa unix.Sockaddr) (netip.Addr, int, bool) {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(a.Addr), a.Port, true
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(a.Addr), a.Port, true
	}
	return netip.Addr{}, 0, false
}

// inetPeer names an IP connection: LOCAL:PORT-REMOTE:PORT with IPv6
// addresses unbracketed, both as IPv4 when both are IPv4-mapped.
func inetPeer(local netip.Addr, lport int, remote netip.Addr, rport int) peer {
	ls, rs := ntop(local), ntop(remote)
	if local.Is4In6() && remote.Is4In6() {
		ls, rs = local.Unmap().String(), remote.Unmap().String()
	}
	// REMOTE_ADDR and the description show a mapped address as IPv4.
	shown := remote.Unmap()
	desc := shown.String() + ":" + strconv.Itoa(rport)
	if shown.Is6() {
		desc = "[" + ntop(shown) + "]:" + strconv.Itoa(rport)
	}
	return peer{
		instance:    fmt.Sprintf("%s:%d-%s:%d", ls, lport, rs, rport),
		description: desc,
		source:      ntop(shown),
		env:         []string{"REMOTE_ADDR=" + ntop(shown), "REMOTE_PORT=" + strconv.Itoa(rport)},
	}
}

// ntop is an address as inet_ntop(3) writes it: Go's form but for an
// IPv4-compatible IPv6 address (::a.b.c.d), which glibc writes with its
// last 32 bits dotted.
func ntop(a netip.Addr) string {
	if !a.Is6() || a.Is4In6() {
		return a.String()
	}
	b := a.As16()
	zeros := true
	for _, x := range b[:12] {
		zeros = zeros && x == 0
	}
	if zeros && (b[12] != 0 || b[13] != 0) {
		return "::" + netip.AddrFrom4([4]byte(b[12:])).String()
	}
	return a.WithZone("").String()
}

// errnoText is an error as strerror words it, for systemd's log lines.
func errnoText(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		t := errno.Error()
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return err.Error()
}

// usesSocket reports whether a service has a standard stream on its
// socket (StandardInput=socket and the like).
func usesSocket(s *serviceConfig) bool {
	return s != nil && (s.StandardInput == "socket" || s.StandardOutput == "socket" || s.StandardError == "socket")
}

// AcceptStatus is what status shows of an Accept=yes socket: the
// connections accepted so far and those whose instance runs.
type AcceptStatus struct{ Accepted, Connected, Refused uint }

// acceptStatusLocked is u's AcceptStatus, nil unless u is an Accept=yes
// socket. Callers hold m.mu.
func acceptStatusLocked(u *Unit) *AcceptStatus {
	if u.sock == nil || !u.sock.Accept {
		return nil
	}
	if u.accept == nil {
		return &AcceptStatus{}
	}
	return &AcceptStatus{Accepted: u.accept.accepted, Connected: u.accept.connections, Refused: u.accept.refused}
}

// acceptProperties are an Accept=yes socket's counts, for show.
func acceptProperties(c *acceptCounters) []Property {
	if c == nil {
		c = &acceptCounters{}
	}
	return []Property{
		{"NConnections", strconv.FormatUint(uint64(c.connections), 10)},
		{"NAccepted", strconv.FormatUint(uint64(c.accepted), 10)},
		{"NRefused", strconv.FormatUint(uint64(c.refused), 10)},
	}
}
