package cli

import (
	"errors"
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

// maxTreeEntries bounds the lines printed and the names received for one
// tree: a few dozen units that each want the same two of the next level
// make a tree of 2^32 lines, which systemctl would print for ever.
const maxTreeEntries = 100000

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
		w := &treeWalk{c: c, left: maxTreeEntries, deps: map[string][]string{},
			states: map[string]string{}, expanded: map[string]bool{}}
		if err := w.tree(name, 0, nil, 0); err != nil {
			if errors.Is(err, errTreeTooBig) {
				return fail(exitFailure, "Dependency tree of %s has more than %d entries, not shown further.", name, maxTreeEntries)
			}
			return err
		}
	}
	return nil
}

var errTreeTooBig = errors.New("tree too big")

// treeWalk prints one tree, asking the manager once per unit.
type treeWalk struct {
	c        *ctl
	left     int                 // lines and names still allowed
	deps     map[string][]string // dependencies by unit, as fetched
	states   map[string]string   // active states by unit, as fetched
	expanded map[string]bool     // with --plain, the units listed so far
}

// spend takes n entries from the budget.
func (w *treeWalk) spend(n int) error {
	if w.left -= n; w.left < 0 {
		return errTreeTooBig
	}
	return nil
}

// tree prints the dependencies of name at level; path holds the units
// above (a unit found among them is a cycle, shown as "..."), and branches
// has bit i set where the level i+1 above still has siblings to come. With
// --plain each unit is listed and expanded once, as systemctl does.
func (w *treeWalk) tree(name string, level int, path []string, branches uint64) error {
	c := w.c
	path = append(path, name)
	if c.o.plain {
		w.expanded[name] = true
	}
	deps, err := w.dependencies(name)
	if err != nil {
		return err
	}
	circular := false
	var shown []string
	for _, d := range deps {
		if slices.Contains(path, d) || c.o.plain && w.expanded[d] {
			circular = true
			continue
		}
		shown = append(shown, d)
	}
	for i, d := range shown {
		if c.o.plain && w.expanded[d] {
			continue // listed under an earlier sibling
		}
		last := i == len(shown)-1 && !circular
		state, err := w.state(d)
		if err != nil {
			return err
		}
		if err := w.spend(1); err != nil {
			return err
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
			if err := w.tree(d, level+1, path, branches<<1|more); err != nil {
				return err
			}
		}
	}
	if circular && !c.o.plain {
		fmt.Fprintln(c.io.Stdout, treeLine("  ", "...", level, branches, true))
	}
	return nil
}

// dependencies are name's dependencies, fetched once.
func (w *treeWalk) dependencies(name string) ([]string, error) {
	if d, ok := w.deps[name]; ok {
		return d, nil
	}
	d, err := w.c.dependencies(name)
	if err != nil {
		return nil, fail(exitFailure, "Failed to get dependencies of %s: %v", name, err)
	}
	if err := w.spend(len(d)); err != nil {
		return nil, err
	}
	w.deps[name] = d
	return d, nil
}

// state is name's active state, fetched once.
func (w *treeWalk) state(name string) (string, error) {
	if s, ok := w.states[name]; ok {
		return s, nil
	}
	s, _, err := w.c.activeState(name)
	if err != nil {
		return "", fail(exitFailure, "Failed to get state of %s: %v", name, err)
	}
	w.states[name] = s
	return s, nil
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
	seen := map[string]bool{}
	for _, p := range props {
		if !slices.Contains(kinds, p.Name) {
			continue
		}
		for _, d := range strings.Fields(p.Value) {
			if !seen[d] {
				seen[d] = true
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
