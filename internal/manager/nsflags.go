package manager

import (
	"fmt"
	"strings"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/unit"
	"golang.org/x/sys/unix"
)

// namespaceTypes are the names RestrictNamespaces= takes (systemd.exec(5)).
var namespaceTypes = map[string]uint32{
	"cgroup": unix.CLONE_NEWCGROUP,
	"ipc":    unix.CLONE_NEWIPC,
	"net":    unix.CLONE_NEWNET,
	"mnt":    unix.CLONE_NEWNS,
	"pid":    unix.CLONE_NEWPID,
	"user":   unix.CLONE_NEWUSER,
	"uts":    unix.CLONE_NEWUTS,
	"time":   unix.CLONE_NEWTIME,
}

// parseRestrictNamespaces reads the assignments of RestrictNamespaces= in
// order, as systemd does, and returns the CLONE_NEW* flags of the namespace
// types the unit may not use (0: no restriction). A boolean replaces what
// came before ("yes" denies all, "no" none); a list allows the types it
// names, and a "~" list denies them. The first list is taken as is (all
// others denied, or allowed with "~"); later ones add to or remove from the
// allowed types. An empty assignment resets to no restriction (o.List drops
// what came before it). An unknown type is an error rather than, as in
// systemd, a line ignored with a warning: a typo must not leave a unit less
// restricted than its author meant.
func parseRestrictNamespaces(values []string) (uint32, error) {
	const all = executor.NamespaceFlags
	var allowed uint32 = all
	initial := true
	for _, v := range values {
		if b, err := unit.ParseBool(v); err == nil {
			allowed, initial = all, false
			if b {
				allowed = 0
			}
			continue
		}
		list, invert := strings.CutPrefix(v, "~")
		var flags uint32
		for _, name := range strings.Fields(list) {
			f, ok := namespaceTypes[name]
			if !ok {
				return 0, fmt.Errorf("RestrictNamespaces=%s: unknown namespace type %q (use cgroup, ipc, net, mnt, pid, user, uts or time)", v, name)
			}
			flags |= f
		}
		switch {
		case initial && invert:
			allowed = all &^ flags
		case initial:
			allowed = flags
		case invert:
			allowed &^= flags
		default:
			allowed |= flags
		}
		initial = false
	}
	return all &^ allowed, nil
}
