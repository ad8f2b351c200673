package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
)

// unitTypes and loadStates are the values systemctl 257's --type= takes;
// a load state there is moved to --state=, as systemctl keeps it for
// compatibility.
var (
	unitTypes  = []string{"service", "mount", "swap", "socket", "target", "device", "automount", "timer", "path", "slice", "scope"}
	loadStates = []string{"stub", "loaded", "not-found", "bad-setting", "error", "merged", "masked"}
)

// sortTypes checks --type= values and moves load states among them to
// --state=; it reports whether help was asked for (and printed).
func (o *options) sortTypes(w io.Writer) (bool, error) {
	var types []string
	for _, t := range o.types {
		switch {
		case t == "help":
			fmt.Fprintf(w, "Available unit types:\n%s\n", strings.Join(unitTypes, "\n"))
			return true, nil
		case slices.Contains(unitTypes, t):
			types = append(types, t)
		case slices.Contains(loadStates, t):
			o.states = append(o.states, t)
		default:
			return false, fail(exitFailure, "Unknown unit type or load state '%s'.\nUse -t help to see a list of allowed values.", t)
		}
	}
	o.types = types
	return false, nil
}

// unitTypeOf is the type suffix of a unit name, without the dot.
func unitTypeOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// listedUnit reports whether list-units (and list-timers, list-paths)
// shows u, as systemctl 257 filters: by pattern, --state= (any of the
// load, active and sub state), --type=; without --all or --state=, an
// inactive unit only while it has a job.
func (o *options) listedUnit(u api.Unit, patterns []string) bool {
	if len(patterns) > 0 && !matchAny(patterns, u.Name) {
		return false
	}
	if len(o.states) > 0 && !slices.Contains(o.states, u.LoadState) && !slices.Contains(o.states, u.ActiveState) &&
		!slices.Contains(o.states, u.SubState) {
		return false
	}
	if len(o.types) > 0 && !slices.Contains(o.types, unitTypeOf(u.Name)) {
		return false
	}
	return o.all || len(o.states) > 0 || u.ActiveState != "inactive"
}

// listFooter is what list-units prints under its table, in systemctl
// 257's three forms: with --all (or --state=inactive), without any
// filter, and with a --state= filter.
func (o *options) listFooter(n int) string {
	switch {
	case o.all || slices.Contains(o.states, "inactive"):
		return fmt.Sprintf("%d loaded units listed.\nTo show all installed unit files use 'capsulectl list-unit-files'.\n", n)
	case len(o.states) == 0:
		return fmt.Sprintf("%d loaded units listed. Pass --all to see loaded but inactive units, too.\nTo show all installed unit files use 'capsulectl list-unit-files'.\n", n)
	}
	return fmt.Sprintf("%d loaded units listed.\n", n)
}
