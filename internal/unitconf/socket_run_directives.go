package unitconf

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/unit"
)

// SocketRun is what a socket unit runs around its listeners and how often
// it may wake up: its Exec*= commands, TimeoutSec=, and the trigger and
// poll limits (systemd.socket(5)).
type SocketRun struct {
	ExecStartPre, ExecStartPost, ExecStopPre, ExecStopPost []unit.Command
	// Timeout bounds each command (TimeoutSec=); 0 is no limit.
	Timeout time.Duration
	// TriggerLimit: more activations in its interval fail the socket
	// (trigger-limit-hit). PollLimit: more wake-ups in its interval pause
	// the listener until the interval ends.
	TriggerLimit, PollLimit RateLimit
}

// RateLimit is an interval and a burst; an interval or burst of 0 turns
// the limit off. A burst not set in the unit depends on Accept=.
type RateLimit struct {
	Interval time.Duration
	Burst    uint
	burstSet bool
	// defaults of the burst for Accept=no and Accept=yes
	defNo, defYes uint
}

// Effective is the limit as it applies to a socket with Accept= accept.
func (r RateLimit) Effective(accept bool) RateLimit {
	if !r.burstSet {
		r.Burst = r.defNo
		if accept {
			r.Burst = r.defYes
		}
	}
	return r
}

// systemd 257's defaults: 2 s for both intervals; bursts 20/200 (trigger)
// and 15/150 (poll) for Accept=no/Accept=yes.
const defaultSocketLimitInterval = 2 * time.Second

func newSocketRun() SocketRun {
	return SocketRun{Timeout: defaultTimeout,
		TriggerLimit: RateLimit{Interval: defaultSocketLimitInterval, defNo: 20, defYes: 200},
		PollLimit:    RateLimit{Interval: defaultSocketLimitInterval, defNo: 15, defYes: 150}}
}

func socketExecLines(field func(*SocketRun) *[]unit.Command) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(&sock(c).SocketRun)
		if v == "" {
			*dst = nil
			return nil
		}
		cmd, err := unit.ParseCommandExpand(v, c.expandWord)
		var spec *specifierError
		if errors.As(err, &spec) {
			c.warn("Failed to resolve unit specifiers in %s, ignoring: %v", v, spec.err)
			return nil
		}
		if err != nil {
			return err
		}
		*dst = append(*dst, cmd)
		return nil
	}
}

func parseSocketTimeout(c *parseCtx, v string) error {
	d := defaultTimeout
	if strings.TrimSpace(v) != "" {
		var err error
		if d, err = unit.ParseTimespan(v); err != nil {
			return err
		}
	}
	sock(c).Timeout = d
	return nil
}

func rateInterval(field func(*SocketRun) *RateLimit) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		d := defaultSocketLimitInterval
		if strings.TrimSpace(v) != "" {
			var err error
			if d, err = unit.ParseTimespan(v); err != nil {
				return err
			}
		}
		field(&sock(c).SocketRun).Interval = d
		return nil
	}
}

func rateBurst(field func(*SocketRun) *RateLimit) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		r := field(&sock(c).SocketRun)
		if strings.TrimSpace(v) == "" {
			r.Burst, r.burstSet = 0, false
			return nil
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return err
		}
		r.Burst, r.burstSet = uint(n), true
		return nil
	}
}

func socketRunDirectives() []Directive {
	trig := func(r *SocketRun) *RateLimit { return &r.TriggerLimit }
	poll := func(r *SocketRun) *RateLimit { return &r.PollLimit }
	return []Directive{
		{Key: "ExecStartPre", Props: []string{"ExecStartPre"}, Raw: true, Parse: socketExecLines(func(r *SocketRun) *[]unit.Command { return &r.ExecStartPre })},
		{Key: "ExecStartPost", Props: []string{"ExecStartPost"}, Raw: true, Parse: socketExecLines(func(r *SocketRun) *[]unit.Command { return &r.ExecStartPost })},
		{Key: "ExecStopPre", Props: []string{"ExecStopPre"}, Raw: true, Parse: socketExecLines(func(r *SocketRun) *[]unit.Command { return &r.ExecStopPre })},
		{Key: "ExecStopPost", Props: []string{"ExecStopPost"}, Raw: true, Parse: socketExecLines(func(r *SocketRun) *[]unit.Command { return &r.ExecStopPost })},
		{Key: "TimeoutSec", Props: []string{"TimeoutUSec"}, Parse: parseSocketTimeout},
		{Key: "TriggerLimitIntervalSec", Props: []string{"TriggerLimitIntervalUSec"}, Raw: true, Parse: rateInterval(trig)},
		{Key: "TriggerLimitBurst", Props: []string{"TriggerLimitBurst"}, Raw: true, Parse: rateBurst(trig)},
		{Key: "PollLimitIntervalSec", Props: []string{"PollLimitIntervalUSec"}, Raw: true, Parse: rateInterval(poll)},
		{Key: "PollLimitBurst", Props: []string{"PollLimitBurst"}, Raw: true, Parse: rateBurst(poll)},
	}
}

func socketRunProps() []Property {
	r := func(u *Unit) *SocketRun { return &u.Socket.SocketRun }
	limit := func(name string, f func(*SocketRun) RateLimit) []Property {
		return []Property{
			{Name: name + "IntervalUSec", Format: func(u *Unit) string {
				return formatTimespan(f(r(u)).Effective(u.Socket.Accepts()).Interval)
			}},
			{Name: name + "Burst", Format: func(u *Unit) string {
				return strconv.FormatUint(uint64(f(r(u)).Effective(u.Socket.Accepts()).Burst), 10)
			}},
		}
	}
	exec := func(name string, f func(*SocketRun) []unit.Command) Property {
		return Property{Name: name, Lines: func(u *Unit) []string { return formatExec(f(r(u))) }}
	}
	props := []Property{
		{Name: "TimeoutUSec", Format: func(u *Unit) string { return formatTimeout(r(u).Timeout) }},
		exec("ExecStartPre", func(r *SocketRun) []unit.Command { return r.ExecStartPre }),
		exec("ExecStartPost", func(r *SocketRun) []unit.Command { return r.ExecStartPost }),
		exec("ExecStopPre", func(r *SocketRun) []unit.Command { return r.ExecStopPre }),
		exec("ExecStopPost", func(r *SocketRun) []unit.Command { return r.ExecStopPost }),
	}
	props = append(props, limit("TriggerLimit", func(r *SocketRun) RateLimit { return r.TriggerLimit })...)
	return append(props, limit("PollLimit", func(r *SocketRun) RateLimit { return r.PollLimit })...)
}

// Accepts reports Accept=yes, on which the limits' defaults depend.
func (s *Socket) Accepts() bool { return s.Accept }

// SocketExecContext is the service configuration a socket unit's commands
// run with: the defaults, as none of the [Socket] section's exec settings
// is acted on yet; TimeoutSec= also bounds the end of what they leave.
func SocketExecContext(s *Socket) *Service {
	c := newService()
	c.TimeoutStart, c.TimeoutStop = s.Timeout, s.Timeout
	return c
}
