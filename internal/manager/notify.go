package manager

import (
	"errors"
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"net"
	"os"
	"strings"
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

func (m *Manager) readNotify() { m.readNotifyFrom(m.notify, nil) }

// readNotifyFrom handles the datagrams of a notify socket until it is
// closed; wait, if set, is called before each one is read.
func (m *Manager) readNotifyFrom(conn *net.UnixConn, wait func()) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*16))
	for {
		if wait != nil {
			wait()
		}
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pid := 0
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
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
			m.handleNotify(pid, string(buf[:n]))
		}
	}
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
