package busctl

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// Creds are what busctl shows of a peer: what the bus says
// (GetConnectionCredentials) completed from /proc, as sd-bus augments
// them. Everything read here is the capsule's to choose and is escaped
// when printed.
type Creds struct {
	PID    int // 0: unknown
	UID    int // -1: unknown
	Unique string
	Comm   string
}

// NameCreds asks the bus for the credentials of name.
func (c *Conn) NameCreds(name string) (Creds, error) {
	cr := Creds{UID: -1}
	r, err := c.CallDBus("GetConnectionCredentials", Str(name))
	if err != nil {
		return cr, err
	}
	if len(r.Body) == 1 {
		for _, e := range r.Body[0].Elems {
			if len(e.Elems) != 2 || len(e.Elems[1].Elems) != 1 {
				continue
			}
			u, ok := e.Elems[1].Elems[0].V.(uint32)
			if !ok {
				continue
			}
			switch e.Elems[0].String() {
			case "ProcessID":
				cr.PID = int(u)
			case "UnixUserID":
				cr.UID = int(u)
			}
		}
	}
	if strings.HasPrefix(name, ":") {
		cr.Unique = name
	} else if name != "org.freedesktop.DBus" {
		if r, err := c.CallDBus("GetNameOwner", Str(name)); err == nil && len(r.Body) == 1 {
			cr.Unique = r.Body[0].String()
		}
	}
	if cr.PID > 0 {
		cr.Comm = procComm(cr.PID)
	}
	return cr, nil
}

func procComm(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

// UserName is uid's name from /etc/passwd or a /run/userdb record (where
// dynamic users such as c-NAME are), else the number.
func UserName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	if b, err := os.ReadFile(filepath.Join("/run/userdb", strconv.Itoa(uid)+".user")); err == nil {
		var rec struct {
			UserName string `json:"userName"`
		}
		if json.Unmarshal(b, &rec) == nil && rec.UserName != "" {
			return rec.UserName
		}
	}
	return strconv.Itoa(uid)
}

// procCgroup is pid's path in the unified hierarchy (or the named
// systemd one), "" if unknown.
func procCgroup(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return ""
	}
	fallback := ""
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return p
		}
		if _, p, ok := strings.Cut(l, ":name=systemd:"); ok {
			fallback = p
		}
	}
	return fallback
}

var unitSuffixes = []string{".service", ".socket", ".scope", ".target", ".timer", ".path", ".mount", ".swap", ".device", ".automount"}

// UnitOfCgroup is the unit a cgroup path belongs to, as systemd's
// cg_path_get_unit finds it: the first component that names a unit other
// than a slice (the manager's own cgroup root is skipped).
func UnitOfCgroup(path string) string {
	for _, c := range strings.Split(path, "/") {
		for _, s := range unitSuffixes {
			if strings.HasSuffix(c, s) && len(c) > len(s) {
				return c
			}
		}
	}
	return ""
}

// SliceOfCgroup is the innermost slice before the unit.
func SliceOfCgroup(path string) string {
	slice := "-.slice"
	for _, c := range strings.Split(path, "/") {
		if strings.HasSuffix(c, ".slice") {
			slice = c
			continue
		}
		if UnitOfCgroup(c) != "" {
			break
		}
	}
	return slice
}
