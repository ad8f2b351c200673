package cli

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/varlink"
)

// properties fetches the properties of name, or of the manager for "".
func (c *ctl) properties(name string) ([]api.Property, error) {
	var r api.Properties
	if err := c.t.client.Call(api.MethodGetProperties, api.PropertiesRequest{Name: name}, &r); err != nil {
		return nil, err
	}
	return r.Properties, nil
}

// show prints properties as systemctl show does: NAME=VALUE in the
// manager's order; empty values only with --all or when named with -p;
// with --value the values alone; units separated by an empty line.
func (c *ctl) show(names []string) error {
	if len(names) == 0 {
		names = []string{""}
	}
	for i, name := range names {
		if name != "" {
			name = withSuffix(name)
		}
		props, err := c.properties(name)
		if err != nil {
			what := "manager"
			if name != "" {
				what = name
			}
			return fail(exitFailure, "Failed to get properties of %s: %v", what, err)
		}
		if i > 0 {
			fmt.Fprintln(c.io.Stdout)
		}
		if c.o.output == "json" {
			c.json(props)
			continue
		}
		for _, p := range props {
			named := slices.Contains(c.o.props, p.Name)
			if len(c.o.props) > 0 && !named {
				continue
			}
			if p.Value == "" && !named && !c.o.all {
				continue
			}
			if c.o.value {
				fmt.Fprintln(c.io.Stdout, printable(p.Value))
			} else {
				fmt.Fprintf(c.io.Stdout, "%s=%s\n", p.Name, printable(p.Value))
			}
		}
	}
	return nil
}

// isFailed prints each unit's active state and succeeds if one of them
// failed (4 if none exists, 1 otherwise); without units it prints the
// manager's state and succeeds if that is degraded, as systemctl does.
func (c *ctl) isFailed(names []string) error {
	if len(names) == 0 {
		var m api.Manager
		if err := c.t.client.Call(api.MethodGetManager, struct{}{}, &m); err != nil {
			return fail(exitFailure, "Failed to query system state: %v", err)
		}
		if !c.o.quiet {
			fmt.Fprintln(c.io.Stdout, printable(m.State))
		}
		if m.State != "degraded" {
			return fail(exitFailure, "")
		}
		return nil
	}
	ok, notFound := false, true
	for _, name := range names {
		name = withSuffix(name)
		state, found, err := c.activeState(name)
		if err != nil {
			return fail(exitFailure, "Failed to get state of %s: %v", name, err)
		}
		if !c.o.quiet {
			fmt.Fprintln(c.io.Stdout, printable(state))
		}
		if state == "failed" {
			ok = true
		}
		if found {
			notFound = false
		}
	}
	switch {
	case ok:
		return nil
	case notFound:
		return fail(exitNoSuchUnit, "")
	}
	return fail(exitFailure, "")
}

// activeState is a unit's active state; a unit without a file is
// inactive and not found.
func (c *ctl) activeState(name string) (state string, found bool, err error) {
	var u api.Unit
	err = c.t.client.Call(api.MethodGetUnit, api.UnitName{Name: name, Brief: true}, &u)
	if varlink.IsError(err, api.ErrNoSuchUnit) {
		return "inactive", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return u.ActiveState, true, nil
}

// Dependency properties list-dependencies follows, as systemctl's.
var (
	forwardDeps = []string{"Requires", "Requisite", "Wants", "ConsistsOf", "BindsTo", "Upholds"}
	reverseDeps = []string{"RequiredBy", "RequisiteOf", "WantedBy", "PartOf", "BoundBy", "UpheldBy"}
)

// maxTreeDepth bounds the tree: a capsule's manager chooses the names it
// reports, and could otherwise lead capsulectl down a tree without end.
// systemctl's tree, whose branches are bits of an unsigned int, is as deep.
const maxTreeDepth = 32

// listDependencies prints the units each unit needs (or, with --reverse,
// is needed by) as a tree, recursing into targets only unless --all.
func (c *ctl) listDependencies(names []string) error {
	if len(names) == 0 {
		names = []string{"default.target"}
	}
	for i, name := range names {
		name = withSuffix(name)
		if i > 0 {
			fmt.Fprintln(c.io.Stdout)
		}
		fmt.Fprintln(c.io.Stdout, printable(name))
		if _, err := c.dependencyTree(name, 0, nil, 0); err != nil {
			return err
		}
	}
	return nil
}

// dependencyTree prints the dependencies of name at level; path holds the
// units above (a unit found among them is a cycle, shown as "..."), and
// branches has bit i set where the level i+1 above still has siblings to
// come. With --plain, path keeps every unit expanded, so each is expanded
// once, and the result is the path for the next sibling, as systemctl does.
func (c *ctl) dependencyTree(name string, level int, path []string, branches uint64) ([]string, error) {
	path = append(path, name)
	deps, err := c.dependencies(name)
	if err != nil {
		return nil, fail(exitFailure, "Failed to get dependencies of %s: %v", name, err)
	}
	circular := false
	var shown []string
	for _, d := range deps {
		if slices.Contains(path, d) {
			circular = true
			continue
		}
		shown = append(shown, d)
	}
	for i, d := range shown {
		if c.o.plain && slices.Contains(path, d) {
			continue // listed under an earlier sibling
		}
		last := i == len(shown)-1 && !circular
		state, _, err := c.activeState(d)
		if err != nil {
			return nil, fail(exitFailure, "Failed to get state of %s: %v", d, err)
		}
		if c.o.plain {
			fmt.Fprintln(c.io.Stdout, "  "+printable(d))
		} else {
			fmt.Fprintln(c.io.Stdout, treeLine(stateGlyph(state)+" ", d, level, branches, last))
		}
		if (c.o.all || strings.HasSuffix(d, ".target")) && level+1 < maxTreeDepth {
			more := uint64(0)
			if !last {
				more = 1
			}
			sub, err := c.dependencyTree(d, level+1, path, branches<<1|more)
			if err != nil {
				return nil, err
			}
			if c.o.plain {
				path = sub
			}
		}
	}
	if circular && !c.o.plain {
		fmt.Fprintln(c.io.Stdout, treeLine("  ", "...", level, branches, true))
	}
	return path, nil
}

// dependencies lists name's dependencies in systemctl's order: targets
// last, otherwise by name without regard to case.
func (c *ctl) dependencies(name string) ([]string, error) {
	props, err := c.properties(name)
	if err != nil {
		return nil, err
	}
	kinds := forwardDeps
	switch {
	case c.o.after:
		kinds = []string{"After"}
	case c.o.before:
		kinds = []string{"Before"}
	case c.o.reverse:
		kinds = reverseDeps
	}
	var deps []string
	for _, p := range props {
		if !slices.Contains(kinds, p.Name) {
			continue
		}
		for _, d := range strings.Fields(p.Value) {
			if !slices.Contains(deps, d) {
				deps = append(deps, d)
			}
		}
	}
	sortDependencies(deps)
	return deps, nil
}

// sortDependencies puts targets last, the rest by name regardless of case.
func sortDependencies(deps []string) {
	sort.Slice(deps, func(i, j int) bool {
		ti, tj := strings.HasSuffix(deps[i], ".target"), strings.HasSuffix(deps[j], ".target")
		if ti != tj {
			return tj
		}
		return strings.ToLower(deps[i]) < strings.ToLower(deps[j])
	})
}

// treeLine is one line of the tree: the state mark, a column per level
// above ("│ " where that level has more to come) and the branch.
func treeLine(mark, name string, level int, branches uint64, last bool) string {
	var b strings.Builder
	b.WriteString(mark)
	for i := level - 1; i >= 0; i-- {
		if branches&(1<<i) != 0 {
			b.WriteString("│ ")
		} else {
			b.WriteString("  ")
		}
	}
	if last {
		b.WriteString("└─")
	} else {
		b.WriteString("├─")
	}
	b.WriteString(printable(name))
	return b.String()
}

// stateGlyph is systemd's mark for an active state.
func stateGlyph(state string) string {
	switch state {
	case "active", "activating", "deactivating":
		return "●"
	case "reloading", "refreshing":
		return "↻"
	case "failed":
		return "×"
	}
	return "○"
}
