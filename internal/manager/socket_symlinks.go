package manager

import (
	"github.com/capsuled/capsuled/internal/listen"
	"github.com/capsuled/capsuled/internal/logstore"
)

// symlinkTarget is the one file system node Symlinks= links to; "" when
// the unit has none or several, as systemd then ignores Symlinks=.
func symlinkTarget(c *socketConfig) string {
	target := ""
	for _, l := range c.Listen {
		if l.HasNode() {
			if target != "" {
				return ""
			}
			target = l.Path
		}
	}
	return target
}

// makeSymlinks makes the unit's Symlinks=; one that cannot be made is
// logged and skipped, as in systemd.
func (m *Manager) makeSymlinks(u *Unit, st *socketState) error {
	if len(u.sock.Symlinks) == 0 {
		return nil
	}
	target := symlinkTarget(u.sock)
	if target == "" {
		m.logAt(u, logstore.PriorityWarning, "%s: Unit has symlinks set but none or more than one node in the file system. Ignoring.", u.name)
		return nil
	}
	for _, p := range u.sock.Symlinks {
		if err := listen.Symlink(target, p, uint32(u.sock.Opts.DirectoryMode)); err != nil {
			m.logAt(u, logstore.PriorityWarning, "%s: Failed to create symlink %s %s %s, ignoring: %s", u.name, p, "\u2192", target, listen.ErrnoText(err))
			continue
		}
		st.links = append(st.links, p)
	}
	return nil
}

// removeSymlinks removes the links a start made, if they still point to
// the socket.
func removeSymlinks(links []string, c *socketConfig) {
	target := symlinkTarget(c)
	for _, p := range links {
		listen.RemoveSymlink(target, p)
	}
}

// socketListen is a socket's listeners for status's Listen: lines.
func socketListen(u *Unit) []string {
	if u.sock == nil {
		return nil
	}
	var out []string
	for _, l := range u.sock.Listen {
		out = append(out, l.String())
	}
	return out
}
