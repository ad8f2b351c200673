package unitconf

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/unit"
)

// namespaceTypes are the names RestrictNamespaces= takes, in systemd's
// order (systemd.exec(5)).
var namespaceTypes = []struct {
	name string
	flag uint32
}{
	{"cgroup", unix.CLONE_NEWCGROUP}, {"ipc", unix.CLONE_NEWIPC}, {"net", unix.CLONE_NEWNET},
	{"mnt", unix.CLONE_NEWNS}, {"pid", unix.CLONE_NEWPID}, {"user", unix.CLONE_NEWUSER},
	{"uts", unix.CLONE_NEWUTS}, {"time", unix.CLONE_NEWTIME},
}

// NamespaceFlags are all CLONE_NEW* flags RestrictNamespaces= knows.
const NamespaceFlags = unix.CLONE_NEWCGROUP | unix.CLONE_NEWIPC | unix.CLONE_NEWNET | unix.CLONE_NEWNS |
	unix.CLONE_NEWPID | unix.CLONE_NEWUSER | unix.CLONE_NEWUTS | unix.CLONE_NEWTIME

// parseRestrictNamespaces applies one RestrictNamespaces= line, as systemd
// does: a boolean replaces what came before ("yes" denies all, "no"
// none); a list allows the types it names, and a "~" list denies them. The
// first list is taken as is (all others denied, or allowed with "~"); later
// ones add to or remove from the allowed types. An empty assignment resets
// to no restriction. An unknown type refuses the unit rather than, as in
// systemd, ignoring the line: a typo must not leave a unit less restricted
// than its author meant.
func parseRestrictNamespaces(c *parseCtx, v string) error {
	s := svc(c)
	if v == "" {
		s.RestrictNamespaces, s.nsSet = 0, false
		return nil
	}
	allowed := NamespaceFlags &^ s.RestrictNamespaces
	if b, err := unit.ParseBool(v); err == nil {
		allowed = NamespaceFlags
		if b {
			allowed = 0
		}
		s.RestrictNamespaces, s.nsSet = NamespaceFlags&^allowed, true
		return nil
	}
	list, invert := strings.CutPrefix(v, "~")
	var flags uint32
	for _, name := range strings.Fields(list) {
		f := uint32(0)
		for _, t := range namespaceTypes {
			if t.name == name {
				f = t.flag
			}
		}
		if f == 0 {
			return fmt.Errorf("unknown namespace type %q (use cgroup, ipc, net, mnt, pid, user, uts or time)", name)
		}
		flags |= f
	}
	switch {
	case !s.nsSet && invert:
		allowed = NamespaceFlags &^ flags
	case !s.nsSet:
		allowed = flags
	case invert:
		allowed &^= flags
	default:
		allowed |= flags
	}
	s.RestrictNamespaces, s.nsSet = NamespaceFlags&^allowed, true
	return nil
}

// formatNamespaces prints denied flags as systemctl show prints
// RestrictNamespaces=: "no" when nothing is denied, "yes" when everything
// is, else the allowed types.
func formatNamespaces(denied uint32) string {
	allowed := NamespaceFlags &^ denied
	switch {
	case denied&NamespaceFlags == 0:
		return "no"
	case allowed == 0:
		return "yes"
	}
	var names []string
	for _, t := range namespaceTypes {
		if allowed&t.flag != 0 {
			names = append(names, t.name)
		}
	}
	return strings.Join(names, " ")
}
