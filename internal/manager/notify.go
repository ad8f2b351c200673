package manager

import (
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/cgroup"
)

// listenNotify opens the sd_notify datagram socket. Anyone may send (it is
// reachable from inside sandboxes); messages count only when they come from
// a unit's main process, which the kernel vouches for with SCM_CREDENTIALS.
func listenNotify(path string) (*net.UnixConn, error) {
	os.Remove(path)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("listen on notify socket %s: %w", path, err)
	}
	raw, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	var serr error
	raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	})
	if serr != nil {
		c.Close()
		return nil, fmt.Errorf("enable SO_PASSCRED on notify socket: %w", serr)
	}
	if err := os.Chmod(path, 0o777); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// notifyReader reads one notify socket. Reading a datagram and acting on
// it happen under mu, so drain, run when a unit's process has exited but
// before it is reaped, sees every message the process sent: none is read
// yet not acted on, and none is acted on after its sender's PID is free.
type notifyReader struct {
	conn *net.UnixConn
	wait func() // called before each datagram is read, if set
	mu   sync.Mutex
	buf  []byte
	oob  []byte
}

func newNotifyReader(conn *net.UnixConn, wait func()) *notifyReader {
	return &notifyReader{conn: conn, wait: wait, buf: make([]byte, 4096),
		oob: make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*16))}
}

// notifyDrainMax bounds what one exit reads at once, so a unit flooding its
// socket cannot hold its reader: the rest waits for the paced reader.
const notifyDrainMax = 64

func (m *Manager) readNotify() { m.readNotifyFrom(m.notifyR) }

// readNotifyFrom handles the datagrams of a notify socket until it is
// closed.
func (m *Manager) readNotifyFrom(r *notifyReader) {
	rc, err := r.conn.SyscallConn()
	if err != nil {
		return
	}
	for {
		if r.wait != nil {
			r.wait()
		}
		if err := rc.Read(func(fd uintptr) bool { return m.readOneNotify(r, int(fd)) }); err != nil {
			return
		}
	}
}

// drainNotify acts on what r holds now, without waiting.
func (m *Manager) drainNotify(r *notifyReader) {
	if r == nil {
		return
	}
	rc, err := r.conn.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		for i := 0; i < notifyDrainMax && m.readOneNotify(r, int(fd)); i++ {
		}
	})
}

// readOneNotify reads and acts on one datagram; false when none is queued.
func (m *Manager) readOneNotify(r *notifyReader, fd int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, oobn, _, _, err := unix.Recvmsg(fd, r.buf, r.oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
	if err == unix.EAGAIN || err == unix.EINTR {
		return false
	}
	if err != nil {
		// Not fatal (a truncated or odd datagram): go on with the next.
		return true
	}
	pid := 0
	msgs, _ := unix.ParseSocketControlMessage(r.oob[:oobn])
	for _, cm := range msgs {
		if cm.Header.Type == unix.SCM_CREDENTIALS {
			if cred, err := unix.ParseUnixCredentials(&cm); err == nil {
				pid = int(cred.Pid)
			}
		}
		if cm.Header.Type == unix.SCM_RIGHTS {
			// Descriptors for a store we do not have: close them.
			if fds, err := unix.ParseUnixRights(&cm); err == nil {
				for _, fd := range fds {
					unix.Close(fd)
				}
			}
		}
	}
	if pid > 0 {
		m.handleNotify(pid, string(r.buf[:n]))
	}
	return true
}

// notifyUnit finds the invocation a message from pid belongs to: the one
// whose main process pid is, or, when cg is known, one whose main process is
// being started and whose process cgroup is cg. Both rules are checked in
// one pass under m.mu, so a main process recorded while the sender's cgroup
// was read is still found. Ended invocations and exited main processes never
// match: their PID may already belong to another unit's process.
func (m *Manager) notifyUnit(pid int, cg string) (*Unit, *runState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.units {
		rs := x.run
		if rs == nil || isClosed(rs.done) || x.svc == nil {
			continue
		}
		access := x.svc.EffectiveNotifyAccess()
		switch {
		case access == "none":
			continue
		case access == "all" && cg != "" && (cg == rs.cgroup || strings.HasPrefix(cg, rs.cgroup+"/")):
			// NotifyAccess=all: any process of the unit.
			return x, rs
		case access == "exec" && rs.control != nil && rs.control.PID == pid && !rs.control.HasExited():
			// NotifyAccess=exec: a control process too.
			return x, rs
		case rs.main != nil:
			if rs.main.PID == pid && !rs.main.HasExited() {
				return x, rs
			}
		case cg != "" && rs.procGroup == cg:
			return x, rs
		}
	}
	return nil, nil
}

func (m *Manager) handleNotify(pid int, msg string) {
	u, rs := m.notifyUnit(pid, "")
	if u == nil {
		// A fast child can send READY=1 before its starter has recorded
		// it as the main process; then it is the only process in the
		// cgroup its unit's main process goes to. Only this case costs a
		// read of /proc.
		if m.hooks.notifyPIDMiss != nil {
			m.hooks.notifyPIDMiss(pid)
		}
		if cg, err := cgroup.OfPID(pid); err == nil {
			u, rs = m.notifyUnit(pid, cg)
		}
	}
	if u == nil {
		return
	}
	m.mu.Lock()
	ready, trigger, reloading, mono := false, false, false, ""
	for _, line := range strings.Split(msg, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch k {
		case "READY":
			ready = v == "1"
		case "RELOADING":
			reloading = v == "1"
		case "MONOTONIC_USEC":
			mono = v
		case "STATUS":
			u.statusText = v
		case "EXTEND_TIMEOUT_USEC":
			m.extendTimeoutLocked(u, rs, v)
		case "WATCHDOG", "WATCHDOG_USEC":
			trigger = m.watchdogNotifyLocked(u, rs, k, v) || trigger
		case "STOPPING":
			if v == "1" && u.active == stateActive {
				u.setState(stateDeactivating, subStopSigterm)
				m.armStopByNotify(u, rs)
			}
		}
	}
	if rs.reload != nil && rs.reload.notifyLocked(reloading, ready, mono) && u.active == stateReloading {
		u.setState(stateReloading, subReloadNotify)
	}
	if reloading && !ready && rs.reload == nil {
		m.selfReloadLocked(u, rs)
	}
	status := u.statusText
	m.mu.Unlock()
	if ready {
		rs.markReady()
	}
	if trigger {
		if status == "" {
			status = "<unset>"
		}
		m.logAt(u, logstore.PriorityErr, "%s: Watchdog request (last status: %s)!", u.name, status)
		go m.watchdogAbort(u, rs)
	}
}

// armStopByNotify bounds a stop the unit began itself (STOPPING=1) by
// TimeoutStopSec=, as systemd does: then its cgroup is killed. A capsule
// can have its manager announce a stop it never finishes, and a start of
// the unit waits for that stop. Callers hold m.mu.
func (m *Manager) armStopByNotify(u *Unit, rs *runState) {
	d := u.svc.TimeoutStop
	if d <= 0 || rs.cgroup == "" {
		return
	}
	time.AfterFunc(d, func() {
		m.mu.Lock()
		pending := u.run == rs && !isClosed(rs.done) && !rs.stopping && u.active == stateDeactivating
		m.mu.Unlock()
		if !pending {
			return
		}
		m.logAt(u, logstore.PriorityWarning, "%s: State 'stop-sigterm' timed out. Killing.", u.name)
		if err := m.cfg.Cgroups.Kill(rs.cgroup); err != nil {
			m.logf(u, "%s: kill: %v", u.name, err)
		}
	})
}
