package unitconf

import (
	"fmt"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/condition"
	"github.com/capsuled/capsuled/internal/unit"
)

// UnitSection is the [Unit] section.
type UnitSection struct {
	Description   string
	Documentation []string

	// Dependencies, as unit names. Requires=, Wants= and BindsTo= are
	// started with the unit today; the rest are acted on by the job engine.
	Requires, Requisite, Wants, BindsTo, PartOf, Upholds, Conflicts []string
	Before, After                                                   []string
	OnFailure, OnSuccess                                            []string
	PropagatesStopTo, StopPropagatedFrom                            []string

	StopWhenUnneeded    bool
	RefuseManualStart   bool
	RefuseManualStop    bool
	AllowIsolate        bool
	IgnoreOnIsolate     bool
	DefaultDependencies bool          // default true
	JobTimeout          time.Duration // 0: none (infinity)
	JobRunningTimeout   time.Duration // 0: none (infinity)
	OnFailureJobMode    string        // default "replace"
	StartLimit          StartLimit
	RequiresMountsFor   []string // absolute paths; see requiresMountsFor

	// Conditions and Asserts in file order, evaluated by the condition
	// package at start.
	Conditions, Asserts condition.List
}

func (s *UnitSection) setDefaults(typ string) {
	s.DefaultDependencies = true
	s.OnFailureJobMode = "replace"
	s.StartLimit.setDefaults()
	// Slices stay when another unit is isolated (systemd 257 shows
	// IgnoreOnIsolate=yes for them).
	s.IgnoreOnIsolate = typ == "slice"
}

// conditionKeys are every Condition…= and Assert…= the condition package
// knows, in systemd's order.
func conditionKeys() []string {
	var out []string
	for _, n := range condition.Names() {
		out = append(out, "Condition"+n, "Assert"+n)
	}
	return out
}

// jobModes are the values of OnFailureJobMode= (systemd.unit(5)).
var jobModes = []string{"fail", "replace", "replace-irreversibly", "isolate", "flush",
	"ignore-dependencies", "ignore-requirements"}

// unitList returns a parser appending unit names to the list field picks
// out; an empty value clears it. A word that is no valid unit name is
// ignored with a warning, as systemd does.
func unitList(field func(*UnitSection) *[]string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(&c.unit().Unit)
		if v == "" {
			*dst = nil
			return nil
		}
		for _, w := range strings.Fields(v) {
			if _, err := unit.ParseName(w); err != nil {
				c.warn("Failed to add dependency on %s, ignoring: %v", w, err)
				continue
			}
			*dst = append(*dst, w)
		}
		return nil
	}
}

// unitBool returns a parser for a boolean field; empty resets to def.
func unitBool(field func(*UnitSection) *bool, def bool) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		return parseBoolInto(field(&c.unit().Unit), v, def)
	}
}

func parseBoolInto(dst *bool, v string, def bool) error {
	if v == "" {
		*dst = def
		return nil
	}
	b, err := unit.ParseBool(v)
	if err != nil {
		return err
	}
	*dst = b
	return nil
}

// documentationSchemes are the URI schemes Documentation= takes.
var documentationSchemes = []string{"http://", "https://", "file:", "info:", "man:"}

func parseDocumentation(c *parseCtx, v string) error {
	s := &c.unit().Unit
	if v == "" {
		s.Documentation = nil
		return nil
	}
	for _, w := range strings.Fields(v) {
		ok := false
		for _, p := range documentationSchemes {
			ok = ok || strings.HasPrefix(w, p) && len(w) > len(p)
		}
		if !ok {
			c.warn("Invalid URL, ignoring: %s", w)
			continue
		}
		s.Documentation = append(s.Documentation, w)
	}
	return nil
}

// parseCondition adds a Condition…= or Assert…= line to its list; an
// empty value clears the list (every kind of condition, or of assert).
func parseCondition(c *parseCtx, v string) error {
	s := &c.unit().Unit
	l := &s.Conditions
	if strings.HasPrefix(c.key, "Assert") {
		l = &s.Asserts
	}
	if err := l.Set(c.key, v); err != nil {
		// Its message says what is wrong and that the line is ignored.
		c.warn("%v", err)
	}
	return nil
}

func conditionDirectives() []Directive {
	var out []Directive
	for _, k := range conditionKeys() {
		// evaluated by the condition package at start
		out = append(out, Directive{Key: k, Parse: parseCondition})
	}
	return out
}

func unitDirectives() []Directive {
	return append([]Directive{
		{Key: "Description", Props: []string{"Description"}, Parse: func(c *parseCtx, v string) error {
			c.unit().Unit.Description = v
			return nil
		}},
		{Key: "Documentation", Props: []string{"Documentation"}, Parse: parseDocumentation},
		{Key: "RequiresMountsFor", Props: []string{"RequiresMountsFor"}, Parse: requiresMountsFor},
		// Requires=, Wants= and BindsTo= units are started with the unit.
		{Key: "Requires", Props: []string{"Requires"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.Requires })},
		{Key: "Wants", Props: []string{"Wants"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.Wants })},
		{Key: "BindsTo", Props: []string{"BindsTo"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.BindsTo })},
		// acted on by the job engine
		{Key: "Requisite", Props: []string{"Requisite"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.Requisite })},
		// acted on by the job engine
		{Key: "PartOf", Props: []string{"PartOf"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.PartOf })},
		// acted on by the job engine
		{Key: "Upholds", Props: []string{"Upholds"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.Upholds })},
		// acted on by the job engine
		{Key: "Conflicts", Props: []string{"Conflicts"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.Conflicts })},
		// acted on by the job engine
		{Key: "Before", Props: []string{"Before"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.Before })},
		// acted on by the job engine
		{Key: "After", Props: []string{"After"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.After })},
		// acted on by the job engine
		{Key: "OnFailure", Props: []string{"OnFailure"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.OnFailure })},
		// acted on by the job engine
		{Key: "OnSuccess", Props: []string{"OnSuccess"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.OnSuccess })},
		// acted on by the job engine
		{Key: "PropagatesStopTo", Props: []string{"PropagatesStopTo"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.PropagatesStopTo })},
		// acted on by the job engine
		{Key: "StopPropagatedFrom", Props: []string{"StopPropagatedFrom"}, Parse: unitList(func(s *UnitSection) *[]string { return &s.StopPropagatedFrom })},
		// acted on by the job engine
		{Key: "StopWhenUnneeded", Props: []string{"StopWhenUnneeded"}, Parse: unitBool(func(s *UnitSection) *bool { return &s.StopWhenUnneeded }, false)},
		// acted on by the job engine
		{Key: "RefuseManualStart", Props: []string{"RefuseManualStart"}, Parse: unitBool(func(s *UnitSection) *bool { return &s.RefuseManualStart }, false)},
		// acted on by the job engine
		{Key: "RefuseManualStop", Props: []string{"RefuseManualStop"}, Parse: unitBool(func(s *UnitSection) *bool { return &s.RefuseManualStop }, false)},
		// acted on by the job engine
		{Key: "AllowIsolate", Props: []string{"AllowIsolate"}, Parse: unitBool(func(s *UnitSection) *bool { return &s.AllowIsolate }, false)},
		// acted on by the job engine
		{Key: "IgnoreOnIsolate", Props: []string{"IgnoreOnIsolate"}, Parse: func(c *parseCtx, v string) error {
			return parseBoolInto(&c.unit().Unit.IgnoreOnIsolate, v, c.unit().Type == "slice")
		}},
		// acted on by the job engine
		{Key: "DefaultDependencies", Props: []string{"DefaultDependencies"}, Parse: unitBool(func(s *UnitSection) *bool { return &s.DefaultDependencies }, true)},
		// acted on by the job engine
		{Key: "JobTimeoutSec", Props: []string{"JobTimeoutUSec"}, Parse: unitTimeout(func(s *UnitSection) *time.Duration { return &s.JobTimeout })},
		// acted on by the job engine: counts from when the job runs
		{Key: "JobRunningTimeoutSec", Props: []string{"JobRunningTimeoutUSec"},
			Parse: unitTimeout(func(s *UnitSection) *time.Duration { return &s.JobRunningTimeout })},
		{Key: "JobTimeoutAction", Status: Warn, Reason: "a job that times out fails; the manager takes no further action"},
		{Key: "JobTimeoutRebootArgument", Status: Warn, Reason: "a job that times out fails; the manager takes no further action"},
		// acted on by the job engine
		{Key: "OnFailureJobMode", Props: []string{"OnFailureJobMode"}, Parse: func(c *parseCtx, v string) error {
			s := &c.unit().Unit
			if v == "" {
				s.OnFailureJobMode = "replace"
				return nil
			}
			for _, m := range jobModes {
				if v == m {
					s.OnFailureJobMode = v
					return nil
				}
			}
			return fmt.Errorf("not a job mode (use %s)", strings.Join(jobModes, ", "))
		}},
	}, append(startLimitDirectives(), conditionDirectives()...)...)
}

// unitProps are the [Unit] properties in the order systemctl show prints
// them (its Unit interface).
func unitProps() []Property {
	sl := startLimitProps()
	return append(mountsProps(), []Property{
		{Name: "Requires", Format: func(u *Unit) string { return formatList(u.Unit.Requires) }},
		{Name: "Requisite", Format: func(u *Unit) string { return formatList(u.Unit.Requisite) }},
		{Name: "Wants", Format: func(u *Unit) string { return formatList(u.Unit.Wants) }},
		{Name: "BindsTo", Format: func(u *Unit) string { return formatList(u.Unit.BindsTo) }},
		{Name: "PartOf", Format: func(u *Unit) string { return formatList(u.Unit.PartOf) }},
		{Name: "Upholds", Format: func(u *Unit) string { return formatList(u.Unit.Upholds) }},
		{Name: "Conflicts", Format: func(u *Unit) string { return formatList(u.Unit.Conflicts) }},
		{Name: "Before", Format: func(u *Unit) string { return formatList(u.Unit.Before) }},
		{Name: "After", Format: func(u *Unit) string { return formatList(u.Unit.After) }},
		{Name: "OnSuccess", Format: func(u *Unit) string { return formatList(u.Unit.OnSuccess) }},
		{Name: "OnFailure", Format: func(u *Unit) string { return formatList(u.Unit.OnFailure) }},
		{Name: "PropagatesStopTo", Format: func(u *Unit) string { return formatList(u.Unit.PropagatesStopTo) }},
		{Name: "StopPropagatedFrom", Format: func(u *Unit) string { return formatList(u.Unit.StopPropagatedFrom) }},
		{Name: "Documentation", Format: func(u *Unit) string { return formatList(u.Unit.Documentation) }},
		{Name: "Description", Format: func(u *Unit) string { return u.Description() }},
		{Name: "StopWhenUnneeded", Format: func(u *Unit) string { return FormatBool(u.Unit.StopWhenUnneeded) }},
		{Name: "RefuseManualStart", Format: func(u *Unit) string { return FormatBool(u.Unit.RefuseManualStart) }},
		{Name: "RefuseManualStop", Format: func(u *Unit) string { return FormatBool(u.Unit.RefuseManualStop) }},
		{Name: "AllowIsolate", Format: func(u *Unit) string { return FormatBool(u.Unit.AllowIsolate) }},
		{Name: "DefaultDependencies", Format: func(u *Unit) string { return FormatBool(u.Unit.DefaultDependencies) }},
		{Name: "OnFailureJobMode", Format: func(u *Unit) string { return u.Unit.OnFailureJobMode }},
		{Name: "IgnoreOnIsolate", Format: func(u *Unit) string { return FormatBool(u.Unit.IgnoreOnIsolate) }},
		sl[0], sl[1], sl[2],
		{Name: "JobTimeoutUSec", Format: func(u *Unit) string { return formatTimeout(u.Unit.JobTimeout) }},
		{Name: "JobRunningTimeoutUSec", Format: func(u *Unit) string { return formatTimeout(u.Unit.JobRunningTimeout) }},
	}...)
}

// Description is the unit's description, or its name when it has none,
// as systemd shows it.
func (u *Unit) Description() string {
	if u.Unit.Description == "" {
		return u.Name
	}
	return u.Unit.Description
}

// unitTimeout parses a job timeout (JobTimeoutSec=, JobRunningTimeoutSec=):
// a time span, "infinity" or empty for none.
func unitTimeout(field func(s *UnitSection) *time.Duration) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		p := field(&c.unit().Unit)
		if v == "" {
			*p = 0
			return nil
		}
		d, err := unit.ParseTimespan(v)
		if err != nil {
			return err
		}
		*p = d
		return nil
	}
}
