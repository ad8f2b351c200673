package manager

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// unitCreds are the user, group and supplementary groups a system unit's
// processes run with.
type unitCreds struct {
	uid, gid int
	name     string
	groups   []int
}

// systemCreds resolves User=, Group= and SupplementaryGroups= of a system
// unit as systemd's executor does: the user's groups from the group
// database (with Group= in place of its primary group), then the
// supplementary ones. A name that does not resolve fails the start with
// systemd's status (217/USER, 216/GROUP) and words.
func (m *Manager) systemCreds(user, group string, supplementary []string) (*unitCreds, error) {
	c := &unitCreds{name: user}
	if user != "" {
		uid, gid, err := lookupUser(m.cfg.Spawner.Output, user)
		if err != nil {
			return nil, fmt.Errorf("resolve User=%s: %w", user, &credError{217, "Failed to determine user credentials: No such process", "No such process"})
		}
		c.uid, c.gid = uid, gid
		if uid != 0 {
			own, err := m.userGroups(user)
			if err != nil {
				return nil, &credError{216, "Failed to determine supplementary groups: " + err.Error(), "No such process"}
			}
			c.groups = own
		}
	}
	if group != "" {
		gid, err := m.resolveID(group, "group")
		if err != nil {
			return nil, fmt.Errorf("resolve Group=%s: %w", group, &credError{216, "Failed to determine group credentials: No such process", "No such process"})
		}
		if user != "" {
			// The user's primary group gives way to Group=.
			c.groups = slices.DeleteFunc(c.groups, func(g int) bool { return g == c.gid })
		}
		c.gid = gid
	}
	if user != "" || group != "" || len(supplementary) > 0 {
		c.groups = append([]int{c.gid}, c.groups...)
	}
	for _, g := range supplementary {
		gid, err := m.resolveID(g, "group")
		if err != nil {
			return nil, fmt.Errorf("resolve SupplementaryGroups=%s: %w", g, &credError{216, "Failed to determine supplementary groups: No such process", "No such process"})
		}
		c.groups = append(c.groups, gid)
	}
	c.groups = uniqueInts(c.groups)
	return c, nil
}

// userGroups lists the groups of user (its primary one among them) as the
// group database has them, through id(1), which asks NSS.
func (m *Manager) userGroups(user string) ([]int, error) {
	out, err := m.cfg.Spawner.Output("id", "-G", "--", user)
	if err != nil {
		return nil, fmt.Errorf("groups of %s: %w", user, err)
	}
	var gs []int
	for _, f := range strings.Fields(string(out)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("groups of %s: bad group %q", user, f)
		}
		gs = append(gs, n)
	}
	return gs, nil
}

func uniqueInts(in []int) []int {
	var out []int
	for _, x := range in {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
