// Package unitconf turns the merged options of a unit file into typed,
// validated configuration. Every directive capsuled knows is one entry of
// one table (the *_directives.go files): how it is parsed, which property
// `show` lists it under, and whether capsuled acts on it or warns that it
// does not. There is no directive that is accepted and then ignored.
package unitconf

import (
	"errors"
	"fmt"
	"strings"

	"github.com/capsuled/capsuled/internal/dynuser"
	"github.com/capsuled/capsuled/internal/unit"
)

// Unit is the typed configuration of one unit. Service, Socket and Slice
// are set for units of those types; targets have none of them.
type Unit struct {
	Name    string // e.g. "foo.service"
	Type    string // the name's suffix: service, socket, slice, target
	Unit    UnitSection
	Service *Service
	Socket  *Socket
	Slice   *Slice
	Timer   *Timer
	Path    *Path
	Install Install
}

// Warning is a problem found in a unit file that does not keep the unit
// from loading: the line is ignored or its value falls back.
type Warning struct {
	File string
	Line int
	Msg  string
}

func (w Warning) String() string {
	if w.File == "" {
		return w.Msg
	}
	return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
}

// Refused is returned by Parse for a unit file that cannot be loaded.
// File and Line name the assignment at fault; they are empty when the unit
// as a whole is refused (no ExecStart=).
type Refused struct {
	File string
	Line int
	Msg  string
}

func (e *Refused) Error() string {
	if e.File == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// refuse makes a parser's error refuse the whole unit rather than ignore
// the line: for values capsuled cannot run as written (Type=forking), and
// for sandboxing settings, where a typo must not leave a unit less
// restricted than its author meant.
func refuse(format string, args ...any) error {
	return &Refused{Msg: fmt.Sprintf(format, args...)}
}

// unsupported is a parser's error for a value systemd accepts and capsuled
// does not act on; the line draws a warning and is ignored.
type unsupported struct{ msg string }

func (e *unsupported) Error() string { return e.msg }

func unsupportedf(format string, args ...any) error {
	return &unsupported{msg: fmt.Sprintf(format, args...)}
}

// Parse reads the options of the unit called name. expand resolves
// %-specifiers. It returns the configuration and the warnings to log, or a
// *Refused error when systemd (or capsuled's stricter sandboxing rules)
// would not load the unit.
func Parse(name string, o *unit.Options, expand func(string) (string, error)) (*Unit, []Warning, error) {
	typ := name[strings.LastIndexByte(name, '.')+1:]
	u := &Unit{Name: name, Type: typ}
	u.Unit.setDefaults(typ)
	switch typ {
	case "service":
		u.Service = newService()
	case "socket":
		u.Socket = newSocket(name)
	case "slice":
		u.Slice = &Slice{Resources: defaultResources()}
	case "timer":
		u.Timer = newTimer(name)
	case "path":
		u.Path = newPath(name)
	}
	st := &state{u: u}
	for _, e := range o.Entries() {
		st.entry(e, expand)
	}
	// A refused line counts only if no later assignment of the same key
	// replaced it: systemd decides on the final value, so a drop-in can
	// fix a unit file's setting.
	if len(st.pending) > 0 {
		first := st.pending[0]
		for _, p := range st.pending[1:] {
			if p.order < first.order {
				first = p
			}
		}
		return nil, st.warnings, first.refused
	}
	if err := u.finish(); err != nil {
		return nil, st.warnings, err
	}
	if r, j := u.Unit.JobRunningTimeout, u.Unit.JobTimeout; r > 0 && j > 0 && r > j {
		st.warnings = append(st.warnings, Warning{Msg: "JobRunningTimeoutSec= is greater than JobTimeoutSec=, it has no effect."})
	}
	return u, st.warnings, nil
}

// state is what Parse keeps while walking the entries.
type state struct {
	u        *Unit
	warnings []Warning
	// pending holds the refused lines not (yet) replaced by a later
	// assignment of the same key; one per key, the last refused.
	pending []pendingRefusal
	lines   int // entries seen, to order pending refusals
	// sections already warned about as unknown, so each draws one warning.
	badSections map[string]bool
}

// pendingRefusal is a line that refuses the unit unless a later
// assignment of its key replaces it.
type pendingRefusal struct {
	key     sectionKey
	refused *Refused
	order   int
	// ignored is the warning the line draws when it is replaced: systemd's
	// for a value it cannot parse either, none for one only capsuled
	// refuses (Type=dbus).
	ignored string
}

// refuse records a refused line, replacing an earlier refused line of the
// same key.
func (st *state) refuse(d *Directive, e unit.Entry, msg, ignored string) {
	p := pendingRefusal{key: sectionKey{d.Section, d.Key}, refused: &Refused{File: e.File, Line: e.Line, Msg: msg}, order: st.lines, ignored: ignored}
	for i := range st.pending {
		if st.pending[i].key == p.key {
			if d.List {
				return // the first bad line of a list still stands
			}
			st.pending[i] = p
			return
		}
	}
	st.pending = append(st.pending, p)
}

// assigned notes a line of d that parsed: it replaces an earlier refused
// line of the same key when it replaces the setting (a list is only
// replaced by an empty assignment, which resets it).
func (st *state) assigned(d *Directive, v string) {
	if d.List && v != "" {
		return
	}
	k := sectionKey{d.Section, d.Key}
	for i, p := range st.pending {
		if p.key != k {
			continue
		}
		if p.ignored != "" {
			st.warnings = append(st.warnings, Warning{File: p.refused.File, Line: p.refused.Line, Msg: p.ignored})
		}
		st.pending = append(st.pending[:i], st.pending[i+1:]...)
		return
	}
}

func (st *state) warn(e unit.Entry, format string, args ...any) {
	st.warnings = append(st.warnings, Warning{File: e.File, Line: e.Line, Msg: fmt.Sprintf(format, args...)})
}

// entry applies one assignment, in file order: a later one overrides an
// earlier one, and an empty one resets the setting (lists included).
func (st *state) entry(e unit.Entry, expand func(string) (string, error)) {
	st.lines++
	// X- sections and keys are extensions for other tools.
	if strings.HasPrefix(e.Section, "X-") || strings.HasPrefix(e.Key, "X-") {
		return
	}
	if !sectionApplies(e.Section, st.u.Type) {
		if st.badSections == nil {
			st.badSections = map[string]bool{}
		}
		if !st.badSections[e.Section] {
			st.badSections[e.Section] = true
			st.warn(e, "Unknown section '%s'. Ignoring.", e.Section)
		}
		return
	}
	d := lookup(e.Section, e.Key)
	if d == nil {
		st.warn(e, "Unknown key name '%s' in section '%s', ignoring.", e.Key, e.Section)
		return
	}
	if by, ok := deprecatedBy[e.Key]; ok && d.Status == Warn && d.Reason == reasonNotYet {
		st.warn(e, "Unit uses %s=; please use %s instead. Support for %s= will be removed soon. Ignoring.", e.Key, by, e.Key)
		return
	}
	if d.Status == Warn && d.Reason == reasonNotYet {
		st.warn(e, "%s= is not supported yet, ignoring.", e.Key)
		return
	}
	if d.Status == Warn {
		st.warn(e, "Unsupported in capsuled: %s= (%s); ignoring.", e.Key, d.Reason)
		return
	}
	v := e.Value
	if !d.Raw {
		x, err := expand(v)
		if err != nil && d.Strict {
			st.refuse(d, e, fmt.Sprintf("%s=: %v", e.Key, err), fmt.Sprintf("Failed to resolve unit specifiers in %s, ignoring: %v", v, err))
			return
		}
		if err != nil {
			st.warn(e, "Failed to resolve unit specifiers in %s, ignoring: %v", v, err)
			return
		}
		v = x
	}
	err := d.Parse(&parseCtx{st: st, e: e, key: e.Key, expand: expand}, v)
	var ref *Refused
	var uns *unsupported
	switch {
	case err == nil:
		st.assigned(d, v)
	case errors.As(err, &ref):
		st.refuse(d, e, ref.Msg, "")
	case d.Strict && !errors.As(err, &uns):
		// A sandboxing or limit setting: a typo must not weaken it.
		st.refuse(d, e, fmt.Sprintf("invalid %s=%s: %v", e.Key, v, err), fmt.Sprintf("Failed to parse %s=%s, ignoring: Invalid argument", e.Key, v))
	case errors.As(err, &uns):
		st.warn(e, "Unsupported in capsuled: %s; ignoring.", uns.msg)
	default:
		st.warn(e, "Failed to parse %s= value, ignoring: %s (%v)", e.Key, v, err)
	}
}

// parseCtx is handed to a directive's parser.
type parseCtx struct {
	st  *state
	e   unit.Entry
	key string
	// expand resolves specifiers, for Raw directives that expand them
	// word by word.
	expand func(string) (string, error)
}

func (c *parseCtx) unit() *Unit { return c.st.u }

// warn adds a warning about the current line without ignoring all of it
// (e.g. one bad word of a list).
func (c *parseCtx) warn(format string, args ...any) { c.st.warn(c.e, format, args...) }

// finish checks the unit as a whole once every line is read.
func (u *Unit) finish() error {
	switch {
	case u.Service != nil:
		if u.Service.DynamicUser && u.Service.User == "" {
			u.Service.User = dynuser.UnitUserName(unitPrefix(u.Name))
		}
		return u.Service.finish()
	case u.Socket != nil:
		return u.Socket.finish()
	case u.Timer != nil:
		return u.Timer.finish()
	case u.Path != nil:
		return u.Path.finish()
	}
	return nil
}
