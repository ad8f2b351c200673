package manager

import "github.com/capsuled/capsuled/internal/unit"

// cmdPrivileges is what a command's prefixes take away from the unit's
// settings, as systemd.service(5)'s Table 1 says: '+' runs it without the
// unit's sandboxing and credentials, '!' without its credentials only.
// '!!' is '!' only where the kernel lacks ambient capabilities, which
// every kernel capsuled runs on has: there it changes nothing, as under
// systemd 257. In a capsule no prefix can lift what the capsule's own
// manager is confined by (its UID, mount namespace, cgroup, seccomp
// filters, Landlock domain, no_new_privs), which every process it starts
// inherits: '+' only leaves out what the unit itself asks for.
type cmdPrivileges struct {
	noSandbox bool // '+'
	noCreds   bool // '+' or '!'
}

func commandPrivileges(c unit.Command) cmdPrivileges {
	return cmdPrivileges{noSandbox: c.Privileged, noCreds: c.Privileged || (c.AmbientOnly && !c.AmbientDouble)}
}

// credentials are the UID, GID and supplementary groups the command runs
// with in the system manager: the unit's, or, where the prefix leaves
// them out, root with the unit's group as its only supplementary group,
// as systemd 257 does.
func (pv cmdPrivileges) credentials(rs *runState) (uid, gid int, groups []int) {
	if !pv.noCreds {
		return rs.uid, rs.gid, rs.groups
	}
	if rs.gid != 0 {
		groups = []int{rs.gid}
	}
	return 0, 0, groups
}
