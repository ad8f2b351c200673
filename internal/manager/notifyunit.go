package manager

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/capsuled/capsuled/internal/fstree"
)

// A sandboxed unit of a dynamic user (a capsule) gets a notify socket of
// its own, bound over the shared one's path inside its sandbox: the shared
// socket stays out of its reach, so a flood of datagrams from it can only
// delay its own messages, and its reader takes them at a bounded rate.
const (
	unitNotifyRate  = 20  // datagrams per second, on average
	unitNotifyBurst = 100 // at once
)

// unitNotify is the notify socket of one invocation.
type unitNotify struct {
	conn   *net.UnixConn
	path   string
	reader *notifyReader
}

func (m *Manager) notifyDir() string { return filepath.Join(m.cfg.RuntimeDir, "notify.d") }

// ownNotify reports whether u gets a notify socket of its own.
func (m *Manager) ownNotify(u *Unit) bool {
	return m.cfg.Mode == System && u.svc.DynamicUser && notifies(u.svc)
}

// openUnitNotify creates the invocation's notify socket, which only its
// user (and root) may send to, and starts reading it.
func (m *Manager) openUnitNotify(u *Unit, rs *runState) error {
	if !m.ownNotify(u) {
		return nil
	}
	path := filepath.Join(m.notifyDir(), rs.invocation)
	c, err := listenNotify(path)
	if err != nil {
		return err
	}
	err = os.Chown(path, rs.uid, rs.gid)
	if err == nil {
		err = os.Chmod(path, 0o600)
	}
	if err != nil {
		c.Close()
		os.Remove(path)
		return fmt.Errorf("restrict notify socket %s: %w", path, err)
	}
	lim := &notifyRate{rate: unitNotifyRate, burst: unitNotifyBurst}
	rs.notify = &unitNotify{conn: c, path: path, reader: newNotifyReader(c, lim.wait)}
	go m.readNotifyFrom(rs.notify.reader)
	return nil
}

// closeUnitNotify ends the reader of the invocation's socket.
func (m *Manager) closeUnitNotify(rs *runState) {
	if rs.notify == nil {
		return
	}
	rs.notify.conn.Close()
	os.Remove(rs.notify.path)
}

// resetNotifyDir clears sockets a previous instance left.
func (m *Manager) resetNotifyDir() error {
	dir := m.notifyDir()
	if err := fstree.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}

// notifyRate is a token bucket; wait sleeps until a datagram may be taken.
// While its reader sleeps the socket's small queue fills, and the senders
// wait or get EAGAIN: the flood costs them, not the manager.
type notifyRate struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func (r *notifyRate) wait() {
	now := time.Now()
	if r.last.IsZero() {
		r.tokens = r.burst
	} else {
		r.tokens = min(r.burst, r.tokens+now.Sub(r.last).Seconds()*r.rate)
	}
	r.last = now
	if r.tokens < 1 {
		d := time.Duration((1 - r.tokens) / r.rate * float64(time.Second))
		time.Sleep(d)
		r.tokens, r.last = 1, now.Add(d)
	}
	r.tokens--
}
