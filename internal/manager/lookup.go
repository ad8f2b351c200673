package manager

import (
	"fmt"
	"strconv"
	"strings"
)

// outputFunc runs a program to its end and returns its standard output.
type outputFunc func(name string, args ...string) ([]byte, error)

// lookupUser resolves a user name (or numeric UID) through NSS. getent
// does the NSS call, so the managers stay free of cgo (which makes every
// exec of them, executor included, a millisecond slower).
func lookupUser(output outputFunc, name string) (uid, gid int, err error) {
	// "--": a user name may start with a dash.
	out, err := output("getent", "passwd", "--", name)
	if err != nil {
		return 0, 0, fmt.Errorf("no such user %q", name)
	}
	f := strings.Split(strings.TrimSpace(string(out)), ":")
	if len(f) < 4 {
		return 0, 0, fmt.Errorf("malformed passwd entry for %q", name)
	}
	if f[2] == "" && f[3] == "" && nisCompatName(name) {
		return lookupIDs(output, name)
	}
	if uid, err = strconv.Atoi(f[2]); err != nil {
		return 0, 0, fmt.Errorf("passwd entry for %q: bad UID %q", name, f[2])
	}
	if gid, err = strconv.Atoi(f[3]); err != nil {
		return 0, 0, fmt.Errorf("passwd entry for %q: bad GID %q", name, f[3])
	}
	return uid, gid, nil
}

// nisCompatName reports whether glibc prints a passwd entry of name in the
// form of a NIS compat line ("+name" or "-name"), without its IDs.
func nisCompatName(name string) bool {
	return strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+")
}

// lookupIDs asks NSS for the UID and primary GID of name through id(1),
// whose output, unlike getent's, has the numbers for every name.
func lookupIDs(output outputFunc, name string) (uid, gid int, err error) {
	ids := [2]int{}
	for i, flag := range []string{"-u", "-g"} {
		out, err := output("id", flag, "--", name)
		if err != nil {
			return 0, 0, fmt.Errorf("no such user %q", name)
		}
		if ids[i], err = strconv.Atoi(strings.TrimSpace(string(out))); err != nil {
			return 0, 0, fmt.Errorf("id %s %q: bad output %q", flag, name, out)
		}
	}
	return ids[0], ids[1], nil
}
