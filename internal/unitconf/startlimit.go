package unitconf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/unit"
)

// StartLimit is the start rate limit of a unit (StartLimitIntervalSec=,
// StartLimitBurst=): more than Burst starts within Interval fail the unit
// with result start-limit-hit. Interval or Burst 0 turns the limit off.
type StartLimit struct {
	Interval time.Duration // Forever for "infinity"
	Burst    uint
	Action   string // StartLimitAction=: only "none" is acted on
}

// Forever is an Interval= of "infinity": a window that never ends.
const Forever = time.Duration(math.MaxInt64)

// systemd's defaults (DefaultStartLimitIntervalSec=, DefaultStartLimitBurst=).
const (
	defaultStartLimitInterval = 10 * time.Second
	defaultStartLimitBurst    = 5
)

func (l *StartLimit) setDefaults() {
	*l = StartLimit{Interval: defaultStartLimitInterval, Burst: defaultStartLimitBurst, Action: "none"}
}

// emergencyActions are the values systemd takes for StartLimitAction=.
var emergencyActions = []string{"none", "reboot", "reboot-force", "reboot-immediate", "poweroff",
	"poweroff-force", "poweroff-immediate", "exit", "exit-force", "soft-reboot", "soft-reboot-force",
	"kexec", "kexec-force", "halt", "halt-force", "halt-immediate"}

func parseStartLimitInterval(c *parseCtx, v string) error {
	l := &c.unit().Unit.StartLimit
	switch strings.TrimSpace(v) {
	case "":
		l.Interval = defaultStartLimitInterval
		return nil
	case "infinity":
		l.Interval = Forever
		return nil
	}
	d, err := unit.ParseTimespan(v)
	if err != nil {
		return err
	}
	l.Interval = d
	return nil
}

func parseStartLimitBurst(c *parseCtx, v string) error {
	l := &c.unit().Unit.StartLimit
	if v == "" {
		l.Burst = defaultStartLimitBurst
		return nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return err
	}
	l.Burst = uint(n)
	return nil
}

func parseStartLimitAction(c *parseCtx, v string) error {
	l := &c.unit().Unit.StartLimit
	if v == "" || v == "none" {
		l.Action = "none"
		return nil
	}
	for _, a := range emergencyActions {
		if v == a {
			return unsupportedf("StartLimitAction=%s (a unit that hits its start limit fails; the manager takes no further action)", v)
		}
	}
	return fmt.Errorf("not an emergency action (use %s)", strings.Join(emergencyActions, ", "))
}

// startLimitDirectives are the [Unit] settings of the start limit, acted on
// by the manager at every start of a service or socket.
func startLimitDirectives() []Directive {
	return []Directive{
		{Key: "StartLimitIntervalSec", Props: []string{"StartLimitIntervalUSec"}, Parse: parseStartLimitInterval},
		// The old name, which systemd still takes.
		{Key: "StartLimitInterval", Props: []string{"StartLimitIntervalUSec"}, Parse: parseStartLimitInterval},
		{Key: "StartLimitBurst", Props: []string{"StartLimitBurst"}, Parse: parseStartLimitBurst},
		{Key: "StartLimitAction", Props: []string{"StartLimitAction"}, Parse: parseStartLimitAction},
	}
}

// serviceStartLimitDirectives are the names systemd still takes in
// [Service] for compatibility (StartLimitIntervalSec= is not one of them).
func serviceStartLimitDirectives() []Directive {
	return []Directive{
		{Key: "StartLimitInterval", Parse: parseStartLimitInterval},
		{Key: "StartLimitBurst", Parse: parseStartLimitBurst},
		{Key: "StartLimitAction", Parse: parseStartLimitAction},
	}
}

func startLimitProps() []Property {
	return []Property{
		{Name: "StartLimitIntervalUSec", Format: func(u *Unit) string {
			if u.Unit.StartLimit.Interval == Forever {
				return "infinity"
			}
			return formatTimespan(u.Unit.StartLimit.Interval)
		}},
		{Name: "StartLimitBurst", Format: func(u *Unit) string { return strconv.FormatUint(uint64(u.Unit.StartLimit.Burst), 10) }},
		{Name: "StartLimitAction", Format: func(u *Unit) string { return u.Unit.StartLimit.Action }},
	}
}
