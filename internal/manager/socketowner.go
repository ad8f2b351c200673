package manager

import (
	"fmt"
	"strconv"
	"strings"
)

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
			return -1, -1, fmt.Errorf("SocketUser=: %w", err)
		}
	}
	if c.Group != "" {
		if n, err := strconv.ParseUint(c.Group, 10, 31); err == nil {
			return uid, int(n), nil
		}
		out, err := m.cfg.Spawner.Output("getent", "group", "--", c.Group)
		f := strings.Split(strings.TrimSpace(string(out)), ":")
		if err != nil || len(f) < 3 {
			return -1, -1, fmt.Errorf("SocketGroup=: no such group %q", c.Group)
		}
		if gid, err = strconv.Atoi(f[2]); err != nil {
			return -1, -1, fmt.Errorf("SocketGroup=: group entry for %q: bad GID %q", c.Group, f[2])
		}
	}
	return uid, gid, nil
}
