package manager

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/logstore"
)

// errOwnerUnknown is a SocketUser= or SocketGroup= that does not
// resolve: what is "user" or "group".
type errOwnerUnknown struct{ what, name string }

func (e *errOwnerUnknown) Error() string { return fmt.Sprintf("no such %s %q", e.what, e.name) }

// ownerFailed logs a socket owner that does not resolve as systemd 257's
// (sd-chown) control process does, exiting with 217/USER or 216/GROUP,
// which fails the start with exit-code.
func (m *Manager) ownerFailed(u *Unit, err error) error {
	var oe *errOwnerUnknown
	if !errors.As(err, &oe) {
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	status := "217/USER"
	if oe.what == "group" {
		status = "216/GROUP"
	}
	m.logAt(u, logstore.PriorityErr, "%s: Failed to resolve %s %s: No such process", u.name, oe.what, oe.name)
	m.logAt(u, logstore.PriorityWarning, "%s: Control process exited, code=exited, status=%s", u.name, status)
	return errChown{fmt.Errorf("start %s: %w", u.name, err)}
}

// socketOwner resolves SocketUser= and SocketGroup= through NSS to the
// owner the socket nodes get; -1 leaves one unchanged. A user without a
// group gives the user's own group, as systemd does; numbers are taken as
// they are.
func (m *Manager) socketOwner(c *socketConfig) (uid, gid int, err error) {
	uid, gid = -1, -1
	if c.User != "" {
		if n, err := strconv.ParseUint(c.User, 10, 31); err == nil {
			uid = int(n)
		} else if uid, gid, err = lookupUser(m.cfg.Spawner.Output, c.User); err != nil {
			return -1, -1, &errOwnerUnknown{"user", c.User}
		}
	}
	if c.Group != "" {
		if n, err := strconv.ParseUint(c.Group, 10, 31); err == nil {
			return uid, int(n), nil
		}
		out, err := m.cfg.Spawner.Output("getent", "group", "--", c.Group)
		f := strings.Split(strings.TrimSpace(string(out)), ":")
		if err != nil || len(f) < 3 {
			return -1, -1, &errOwnerUnknown{"group", c.Group}
		}
		if gid, err = strconv.Atoi(f[2]); err != nil {
			return -1, -1, fmt.Errorf("SocketGroup=: group entry for %q: bad GID %q", c.Group, f[2])
		}
	}
	return uid, gid, nil
}
