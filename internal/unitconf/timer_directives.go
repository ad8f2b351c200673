package unitconf

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/calendar"
	"github.com/capsuled/capsuled/internal/unit"
)

// TimerBase is what a monotonic timer value counts from.
type TimerBase string

// The bases of systemd.timer(5)'s monotonic settings, named as show names
// them (OnActiveSec= is OnActiveUSec).
const (
	OnActive       TimerBase = "OnActiveUSec"
	OnBoot         TimerBase = "OnBootUSec"
	OnStartup      TimerBase = "OnStartupUSec"
	OnUnitActive   TimerBase = "OnUnitActiveUSec"
	OnUnitInactive TimerBase = "OnUnitInactiveUSec"
)

// Monotonic is one monotonic timer value: Span after its base.
type Monotonic struct {
	Base TimerBase
	Span time.Duration
}

// Timer is the [Timer] section of a .timer unit.
type Timer struct {
	Monotonic         []Monotonic
	Calendar          []*calendar.Spec // OnCalendar=
	Accuracy          time.Duration
	RandomizedDelay   time.Duration
	FixedRandomDelay  bool
	DeferReactivation bool
	Persistent        bool
	RemainAfterElapse bool
	OnClockChange     bool
	OnTimezoneChange  bool
	Unit              string // the unit started on elapse
}

// DefaultTimerAccuracy is AccuracySec='s default, as in systemd.
const DefaultTimerAccuracy = time.Minute

func newTimer(name string) *Timer {
	return &Timer{Accuracy: DefaultTimerAccuracy, RemainAfterElapse: true,
		Unit: strings.TrimSuffix(name, ".timer") + ".service"}
}

func tmr(c *parseCtx) *Timer { return c.unit().Timer }

// parseMonotonic returns the parser of an On*Sec= setting: each adds a
// value, an empty one resets them all, as in systemd.
func parseMonotonic(base TimerBase) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		t := tmr(c)
		if v == "" {
			// As in systemd: an empty value clears every trigger.
			t.Monotonic, t.Calendar = nil, nil
			return nil
		}
		d, err := timerTimespan(v)
		if err != nil {
			c.warn("Failed to parse timer value, ignoring: %s", v)
			return nil
		}
		t.Monotonic = append(t.Monotonic, Monotonic{Base: base, Span: d})
		return nil
	}
}

// timerTimespan parses a timer's span: "infinity" is systemd's
// USEC_INFINITY there, a time never reached, not "no value".
func timerTimespan(v string) (time.Duration, error) {
	if strings.TrimSpace(v) == "infinity" {
		return math.MaxInt64, nil
	}
	return unit.ParseTimespan(v)
}

// timerSpan returns the parser of a span setting; empty resets it to def.
func timerSpan(field func(*Timer) *time.Duration, def time.Duration) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(tmr(c))
		if v == "" {
			*dst = def
			return nil
		}
		d, err := timerTimespan(v)
		if err != nil {
			return err
		}
		*dst = d
		return nil
	}
}

// timerBool returns the parser of a boolean setting; empty resets to def.
func timerBool(field func(*Timer) *bool, def bool) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error { return parseBoolInto(field(tmr(c)), v, def) }
}

func parseWakeSystem(c *parseCtx, v string) error {
	var wake bool
	if err := parseBoolInto(&wake, v, false); err != nil {
		return err
	}
	if wake {
		return unsupportedf("WakeSystem=yes: capsuled does not wake the system from suspend")
	}
	return nil
}

func parseTimerUnit(c *parseCtx, v string) error {
	if v == "" {
		tmr(c).Unit = newTimer(c.unit().Name).Unit
		return nil
	}
	n, err := unit.ParseName(v)
	if err != nil || n.IsTemplate() {
		return fmt.Errorf("not a valid unit name")
	}
	if n.Type == "timer" {
		return fmt.Errorf("unit cannot be of type timer")
	}
	tmr(c).Unit = v
	return nil
}

func parseOnCalendar(c *parseCtx, v string) error {
	t := tmr(c)
	if v == "" {
		t.Monotonic, t.Calendar = nil, nil
		return nil
	}
	sp, err := calendar.Parse(v)
	if err != nil {
		c.warn("Failed to parse calendar specification, ignoring: %s", v)
		return nil
	}
	t.Calendar = append(t.Calendar, sp)
	return nil
}

func timerDirectives() []Directive {
	return []Directive{
		{Key: "OnActiveSec", Props: []string{"TimersMonotonic"}, Parse: parseMonotonic(OnActive)},
		{Key: "OnBootSec", Props: []string{"TimersMonotonic"}, Parse: parseMonotonic(OnBoot)},
		{Key: "OnStartupSec", Props: []string{"TimersMonotonic"}, Parse: parseMonotonic(OnStartup)},
		{Key: "OnUnitActiveSec", Props: []string{"TimersMonotonic"}, Parse: parseMonotonic(OnUnitActive)},
		{Key: "OnUnitInactiveSec", Props: []string{"TimersMonotonic"}, Parse: parseMonotonic(OnUnitInactive)},
		{Key: "OnCalendar", Props: []string{"TimersCalendar"}, Parse: parseOnCalendar},
		{Key: "OnClockChange", Props: []string{"OnClockChange"}, Parse: timerBool(func(t *Timer) *bool { return &t.OnClockChange }, false)},
		{Key: "OnTimezoneChange", Props: []string{"OnTimezoneChange"}, Parse: timerBool(func(t *Timer) *bool { return &t.OnTimezoneChange }, false)},
		{Key: "Unit", Props: []string{"Unit"}, Parse: parseTimerUnit},
		{Key: "AccuracySec", Props: []string{"AccuracyUSec"}, Parse: timerSpan(func(t *Timer) *time.Duration { return &t.Accuracy }, DefaultTimerAccuracy)},
		{Key: "RandomizedDelaySec", Props: []string{"RandomizedDelayUSec"}, Parse: timerSpan(func(t *Timer) *time.Duration { return &t.RandomizedDelay }, 0)},
		{Key: "FixedRandomDelay", Props: []string{"FixedRandomDelay"}, Parse: timerBool(func(t *Timer) *bool { return &t.FixedRandomDelay }, false)},
		{Key: "Persistent", Props: []string{"Persistent"}, Parse: timerBool(func(t *Timer) *bool { return &t.Persistent }, false)},
		{Key: "WakeSystem", Props: []string{"WakeSystem"}, Parse: parseWakeSystem},
		{Key: "RemainAfterElapse", Props: []string{"RemainAfterElapse"}, Parse: timerBool(func(t *Timer) *bool { return &t.RemainAfterElapse }, true)},
		{Key: "DeferReactivation", Props: []string{"DeferReactivation"}, Parse: timerBool(func(t *Timer) *bool { return &t.DeferReactivation }, false)},
	}
}

// notYetTimer: every [Timer] directive is acted on.
var notYetTimer []string

// timerProps are the [Timer] section's properties; the engine overlays
// the ones that depend on its state (next elapse, last trigger, result).
func timerProps() []Property {
	return []Property{
		{Name: "Unit", Format: func(u *Unit) string { return u.Timer.Unit }},
		{Name: "TimersMonotonic", Lines: func(u *Unit) []string {
			var out []string
			// Last line first, as systemd lists them.
			for i := len(u.Timer.Monotonic) - 1; i >= 0; i-- {
				out = append(out, FormatMonotonic(u.Timer.Monotonic[i], 0))
			}
			return out
		}},
		{Name: "TimersCalendar", Lines: func(u *Unit) []string {
			var out []string
			for i := len(u.Timer.Calendar) - 1; i >= 0; i-- {
				out = append(out, FormatCalendar(u.Timer.Calendar[i], time.Time{}))
			}
			return out
		}},
		{Name: "OnClockChange", Format: func(u *Unit) string { return FormatBool(u.Timer.OnClockChange) }},
		{Name: "OnTimezoneChange", Format: func(u *Unit) string { return FormatBool(u.Timer.OnTimezoneChange) }},
		{Name: "AccuracyUSec", Format: func(u *Unit) string { return FormatTimespan(u.Timer.Accuracy) }},
		{Name: "RandomizedDelayUSec", Format: func(u *Unit) string { return FormatTimespan(u.Timer.RandomizedDelay) }},
		{Name: "FixedRandomDelay", Format: func(u *Unit) string { return FormatBool(u.Timer.FixedRandomDelay) }},
		{Name: "Persistent", Format: func(u *Unit) string { return FormatBool(u.Timer.Persistent) }},
		{Name: "WakeSystem", Format: func(*Unit) string { return "no" }},
		{Name: "RemainAfterElapse", Format: func(u *Unit) string { return FormatBool(u.Timer.RemainAfterElapse) }},
		{Name: "DeferReactivation", Format: func(u *Unit) string { return FormatBool(u.Timer.DeferReactivation) }},
	}
}

// FormatMonotonic prints one monotonic value as TimersMonotonic= does;
// next is its next elapse on CLOCK_MONOTONIC (0: none).
func FormatMonotonic(m Monotonic, next time.Duration) string {
	return fmt.Sprintf("{ %s=%s ; next_elapse=%s }", m.Base, FormatTimespan(m.Span), FormatTimespan(next))
}

// FormatCalendar prints one calendar value as TimersCalendar= does; next
// is its next elapse (zero: none).
func FormatCalendar(sp *calendar.Spec, next time.Time) string {
	n := "n/a"
	if !next.IsZero() {
		n = next.Format("Mon 2006-01-02 15:04:05 MST")
	}
	return fmt.Sprintf("{ OnCalendar=%s ; next_elapse=%s }", sp, n)
}

// FormatTimespan prints a span as show prints *USec properties.
func FormatTimespan(d time.Duration) string { return formatTimespan(d) }

// finish checks the timer as a whole: one without any trigger is refused,
// as systemd refuses it.
func (t *Timer) finish() error {
	if len(t.Monotonic) == 0 && len(t.Calendar) == 0 && !t.OnClockChange && !t.OnTimezoneChange {
		return refuse("Timer unit lacks value setting. Refusing.")
	}
	return nil
}
