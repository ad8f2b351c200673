package unitconf

import (
	"slices"
	"sync"
)

// Status says what capsuled does with a directive.
type Status int

const (
	// ActedOn: parsed into the typed configuration, shown as a property,
	// and used by the engine.
	ActedOn Status = iota
	// Warn: every use draws a warning with Reason and is ignored.
	Warn
)

// Directive is one entry of the directive table.
type Directive struct {
	Section string
	Key     string
	// Props are the properties `show` lists the directive's value under,
	// by systemd's names (TimeoutStartSec= is TimeoutStartUSec).
	Props []string
	// Parse applies one assignment, its value with specifiers expanded
	// (unless Raw), to the unit; an empty value resets the setting. An
	// error ignores the line with a warning, or refuses the unit (refuse).
	Parse func(c *parseCtx, v string) error
	Raw   bool // the value is taken as written, without specifiers
	// Strict: a value that cannot be parsed refuses the unit instead of
	// being ignored, for sandboxing and limit settings, so a typo cannot
	// leave a unit less restricted than its author meant (systemd ignores
	// the line).
	Strict bool
	// List: a later assignment adds to the setting instead of replacing
	// it, so only an empty one (a reset) undoes an earlier refused line.
	List   bool
	Status Status
	Reason string // for Warn: why capsuled does not act on it
}

// Property is one `show` property: its name as systemd spells it and how
// its value is printed from the configuration, in systemd's format.
type Property struct {
	Name   string
	Format func(u *Unit) string
	// Lines, instead of Format, for a property printed once per item
	// (ExecStart=, Listen=).
	Lines func(u *Unit) []string
}

// sections lists, per section, the unit types that have it and its
// directives and properties, in the order `show` prints them.
type section struct {
	name       string
	types      []string // empty: every type
	directives []Directive
	notYet     []string // keys of Warn directives, reasonNotYet
	props      []Property
}

// sectionTable is every section capsuled reads; the type-specific ones
// come first, as systemd's properties of the type's interface come before
// the Unit interface's.
func sectionTable() []section {
	return []section{
		{name: "Service", types: []string{"service"}, directives: serviceDirectives(), notYet: notYetService, props: serviceProps()},
		{name: "Socket", types: []string{"socket"}, directives: slices.Concat(socketDirectives(), socketRunDirectives()), notYet: notYetSocket,
			props: slices.Concat(socketProps(), socketRunProps())},
		{name: "Timer", types: []string{"timer"}, directives: timerDirectives(), notYet: notYetTimer, props: timerProps()},
		{name: "Path", types: []string{"path"}, directives: pathDirectives(), props: pathProps()},
		{name: "Slice", types: []string{"slice"}, directives: sliceDirectives(), notYet: notYetSlice, props: sliceProps()},
		{name: "Unit", directives: unitDirectives(), notYet: notYetUnit, props: unitProps()},
		{name: "Install", directives: installDirectives(), notYet: notYetInstall},
	}
}

type sectionKey struct{ section, key string }

// directiveTable is the section table with an index of its directives
// (notYet ones apart).
type directiveTable struct {
	sections []section
	index    map[sectionKey]*Directive
}

// tables builds the directive table on first use: most runs of the binary
// (the executor, capsulectl's helpers) parse no unit file and should not
// pay for it at start-up.
var tables = sync.OnceValue(func() *directiveTable {
	t := &directiveTable{sections: sectionTable(), index: map[sectionKey]*Directive{}}
	for i := range t.sections {
		for j := range t.sections[i].directives {
			d := &t.sections[i].directives[j]
			d.Section = t.sections[i].name
			t.index[sectionKey{d.Section, d.Key}] = d
		}
	}
	return t
})

func lookup(section, key string) *Directive {
	if d := tables().index[sectionKey{section, key}]; d != nil {
		return d
	}
	for _, s := range tables().sections {
		if s.name == section && slices.Contains(s.notYet, key) {
			return notYetDirective(section, key)
		}
	}
	return nil
}

func notYetDirective(section, key string) *Directive {
	return &Directive{Section: section, Key: key, Status: Warn, Reason: reasonNotYet}
}

// sectionApplies reports whether units of type typ have section.
func sectionApplies(name, typ string) bool {
	for _, s := range tables().sections {
		if s.name != name {
			continue
		}
		if len(s.types) == 0 {
			return true
		}
		for _, t := range s.types {
			if t == typ {
				return true
			}
		}
	}
	return false
}

// Directives returns the whole table, section by section.
func Directives() []Directive {
	var out []Directive
	for _, s := range tables().sections {
		out = append(out, s.directives...)
		for _, k := range s.notYet {
			out = append(out, *notYetDirective(s.name, k))
		}
	}
	return out
}

// Pair is one property and its value.
type Pair struct {
	Name, Value string
}

// Properties lists u's configuration as `show` prints it: systemd's
// property names and formats, the type's own properties first. Values may
// be empty; the caller decides whether to print those.
func Properties(u *Unit) []Pair {
	var out []Pair
	for _, s := range tables().sections {
		if !sectionApplies(s.name, u.Type) {
			continue
		}
		for _, p := range s.props {
			if p.Lines == nil {
				out = append(out, Pair{p.Name, p.Format(u)})
				continue
			}
			lines := p.Lines(u)
			if len(lines) == 0 {
				out = append(out, Pair{Name: p.Name})
			}
			for _, l := range lines {
				out = append(out, Pair{p.Name, l})
			}
		}
	}
	return out
}

// Keys lists the directives of section, in table order.
func Keys(section string) []string {
	var out []string
	for _, s := range tables().sections {
		if s.name != section {
			continue
		}
		for _, d := range s.directives {
			out = append(out, d.Key)
		}
		out = append(out, s.notYet...)
	}
	return out
}

// Known reports whether key is a directive of section, acted on or not.
func Known(section, key string) bool { return lookup(section, key) != nil }
