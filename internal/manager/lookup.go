package manager

import (
	"fmt"
	osexec "os/exec"
	"strconv"
	"strings"
)

// nisCompatName reports whether glibc prints a passwd entry of name in the
// form of a NIS compat line ("+name" or "-name"), without its IDs.
func nisCompatName(name string) bool {
	return strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+")
}

// lookupIDs asks NSS for the UID and primary GID of name through id(1),
// whose output, unlike getent's, has the numbers for every name.
func lookupIDs(name string) (uid, gid int, err error) {
	ids := [2]int{}
	for i, flag := range []string{"-u", "-g"} {
		out, err := osexec.Command("id", flag, "--", name).Output()
		if err != nil {
			return 0, 0, fmt.Errorf("no such user %q", name)
		}
		if ids[i], err = strconv.Atoi(strings.TrimSpace(string(out))); err != nil {
			return 0, 0, fmt.Errorf("id %s %q: bad output %q", flag, name, out)
		}
	}
	return ids[0], ids[1], nil
}
