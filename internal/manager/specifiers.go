package manager

import (
	"bufio"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/capsuled/capsuled/internal/unit"
)

// specFacts are the specifier values that do not depend on the unit,
// looked up once per manager when a unit first needs them.
type specFacts struct {
	once       sync.Once
	user, uid  string
	group, gid string
	shell      string
	hostOnce   sync.Once
	host       *unit.HostInfo
}

// specifiers returns the values of %-specifiers for unit n, as systemd
// 257's manager of the same kind gives them: a capsule's manager those of
// a user manager (its user, home and XDG directories), the system manager
// root's and the system directories.
func (m *Manager) specifiers(n unit.Name) unit.Specifiers {
	f := &m.specFacts
	f.once.Do(func() { m.lookupSpecUser(f) })
	s := unit.Specifiers{Name: n.String(), Hostname: m.cfg.Hostname, TempDir: "/tmp",
		User: f.user, UID: f.uid, Group: f.group, GID: f.gid, Shell: f.shell,
		Host: func() *unit.HostInfo {
			f.hostOnce.Do(func() { f.host = unit.ReadHostInfo() })
			return f.host
		}}
	if m.cfg.Mode == User {
		s.RuntimeDir = filepath.Dir(m.cfg.RuntimeDir)
		s.Home = m.cfg.Home
		s.StateDir = filepath.Join(m.cfg.Home, ".local/state")
		s.CacheDir = filepath.Join(m.cfg.Home, ".cache")
		s.LogsDir = filepath.Join(m.cfg.Home, ".local/state/log")
		s.ConfigDir = filepath.Join(m.cfg.Home, ".config")
		s.DataDir = filepath.Join(m.cfg.Home, ".local/share")
		s.CredentialsDir = filepath.Join(s.RuntimeDir, "credentials")
	} else {
		s.RuntimeDir, s.StateDir, s.CacheDir, s.LogsDir, s.ConfigDir = "/run", "/var/lib", "/var/cache", "/var/log", "/etc"
		s.DataDir, s.CredentialsDir, s.Home = "/usr/share", "/run/credentials", "/root"
	}
	return s
}

// lookupSpecUser fills in the manager's user and group: root for the
// system manager, the capsule's dynamic user (whose group has its name)
// for a capsule's.
func (m *Manager) lookupSpecUser(f *specFacts) {
	if m.cfg.Mode != User {
		f.user, f.uid, f.group, f.gid = "root", "0", "root", "0"
		f.shell = lookupShell("root")
		return
	}
	f.uid, f.gid = strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	f.user = os.Getenv("USER")
	if u, err := user.LookupId(f.uid); err == nil && f.user == "" {
		f.user = u.Username
	}
	if g, err := user.LookupGroupId(f.gid); err == nil {
		f.group = g.Name
	} else if f.gid == f.uid {
		f.group = f.user
	}
	f.shell = lookupShell(f.user)
}

// lookupShell finds name's login shell in /etc/passwd, else in its
// /run/userdb record (where dynamic users are).
func lookupShell(name string) string {
	if name == "" {
		return ""
	}
	if fh, err := os.Open("/etc/passwd"); err == nil {
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Split(sc.Text(), ":")
			if len(fields) >= 7 && fields[0] == name {
				return fields[6]
			}
		}
	}
	b, err := os.ReadFile(filepath.Join("/run/userdb", name+".user"))
	if err != nil {
		return ""
	}
	var rec struct {
		Shell string `json:"shell"`
	}
	if json.Unmarshal(b, &rec) != nil {
		return ""
	}
	return rec.Shell
}
