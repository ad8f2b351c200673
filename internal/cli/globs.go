package cli

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
)

// globVerbs are the verbs whose unit names may be patterns, matched
// against the loaded units, as systemctl 257 expands them
// (expand_unit_names); enable, disable, is-enabled, mask and unmask take
// unit files, never patterns.
var globVerbs = map[string]bool{"status": true, "show": true, "is-active": true, "is-failed": true,
	"start": true, "stop": true, "restart": true, "try-restart": true, "reload": true,
	"reload-or-restart": true, "try-reload-or-restart": true, "kill": true, "clean": true,
	"reset-failed": true, "list-dependencies": true, "cat": true, "edit": true}

// isGlob reports whether a name is a pattern, as systemd's
// string_is_glob: it has "*", "?" or "[".
func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// expandNames replaces the patterns among names by the loaded units they
// match (any type, fnmatch on the whole name; with --state=, only units in
// those states), after the names given as they are, as systemctl 257
// does. A pattern that matches nothing adds nothing. expanded reports
// whether there was a pattern.
func (c *ctl) expandNames(names []string) (out []string, expanded bool, err error) {
	var globs []string
	for _, n := range names {
		if isGlob(n) {
			globs = append(globs, n)
		} else {
			out = append(out, n)
		}
	}
	if len(globs) == 0 {
		return names, false, nil
	}
	var l api.UnitList
	if err := c.t.client.Call(api.MethodListUnits, struct{}{}, &l); err != nil {
		return nil, true, fail(exitFailure, "Failed to expand names: %v", err)
	}
	var matched []string
	for _, u := range l.Units {
		if !matchAny(globs, u.Name) {
			continue
		}
		if len(c.o.states) > 0 && !slices.Contains(c.o.states, u.LoadState) &&
			!slices.Contains(c.o.states, u.ActiveState) && !slices.Contains(c.o.states, u.SubState) {
			continue
		}
		matched = append(matched, u.Name)
	}
	sort.Strings(matched)
	return append(out, matched...), true, nil
}

// expandForVerb expands the patterns of a verb that takes them; done
// reports that nothing is left to act on (every name was a pattern that
// matched no loaded unit), which systemctl 257 ends quietly with.
func (c *ctl) expandForVerb(verb string, names []string) (out []string, done bool, err error) {
	if !globVerbs[verb] || len(names) == 0 {
		return names, false, nil
	}
	out, expanded, err := c.expandNames(names)
	if err != nil {
		return nil, true, err
	}
	if expanded && verb == "start" && !c.o.all && !c.o.quiet {
		fmt.Fprint(c.io.Stderr, "Warning: capsulectl start called with a glob pattern.\n"+
			"Hint: unit globs expand to loaded units, so start will usually have no effect.\n"+
			"      Passing --all will also load units which are pulled in by other units.\n"+
			"      See systemctl(1) for more details.\n")
	}
	if len(out) > 0 {
		return out, false, nil
	}
	switch verb {
	case "is-active":
		return nil, true, fail(exitInactive, "")
	case "is-failed":
		return nil, true, fail(exitFailure, "")
	}
	return nil, true, nil
}
