package unitconf

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/exitstatus"
	"github.com/capsuled/capsuled/internal/unit"
)

// Stop is what a service does when it ends or is ended: which exits are
// clean, when it restarts, its run-time limits and how it is killed
// (systemd.service(5), systemd.kill(5)).
type Stop struct {
	SuccessExitStatus        ExitStatusSet
	RestartPreventExitStatus ExitStatusSet
	RestartForceExitStatus   ExitStatusSet
	RestartSteps             uint
	RestartMaxDelay          time.Duration // 0: infinity
	TimeoutAbort             time.Duration // 0: infinity; unless TimeoutAbortSet, TimeoutStopSec='s
	TimeoutAbortSet          bool
	timeoutStartSet          bool          // a Timeout(Start)Sec= line came
	RuntimeMax               time.Duration // 0: infinity
	RuntimeRandomizedExtra   time.Duration
	Watchdog                 time.Duration // 0: off
	WatchdogSignal           int
	RestartKillSignal        int // 0: KillSignal=
	FinalKillSignal          int
	SendSIGHUP               bool
	SendSIGKILL              bool
}

func defaultStop() Stop {
	return Stop{WatchdogSignal: int(syscall.SIGABRT), FinalKillSignal: int(syscall.SIGKILL), SendSIGKILL: true}
}

// ExitStatusSet is a list of exit statuses and signals, as
// SuccessExitStatus= takes it.
type ExitStatusSet struct {
	Status  []int // 0-255
	Signals []int
}

// Has tells whether a process that ended as code ("exited", "killed",
// "dumped") with status is in the set.
func (s ExitStatusSet) Has(code string, status int) bool {
	if code == "exited" {
		return slices.Contains(s.Status, status)
	}
	return code != "" && slices.Contains(s.Signals, status)
}

// String prints the set as systemctl show does: "3 USR1".
func (s ExitStatusSet) String() string {
	var w []string
	for _, n := range s.Status {
		w = append(w, strconv.Itoa(n))
	}
	for _, n := range s.Signals {
		w = append(w, strings.TrimPrefix(unix.SignalName(syscall.Signal(n)), "SIG"))
	}
	return strings.Join(w, " ")
}

// exitStatusNames maps systemd's exit status names back to numbers.
var exitStatusNames = func() map[string]int {
	m := map[string]int{}
	for n := 0; n < 256; n++ {
		if s := exitstatus.Name(n); s != "" {
			m[s] = n
		}
	}
	return m
}

// parseExitStatusSet returns the parser of a SuccessExitStatus=-style
// list: each word a number from 0 to 255, an exit status name or a signal
// name; an empty value empties the list, a bad word is skipped with a
// warning.
func parseExitStatusSet(field func(*Stop) *ExitStatusSet) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(&svc(c).Stop)
		if strings.TrimSpace(v) == "" {
			*dst = ExitStatusSet{}
			return nil
		}
		var names map[string]int
		for _, w := range strings.Fields(v) {
			if n, err := strconv.Atoi(w); err == nil {
				if n < 0 || n > 255 {
					c.warn("Value %d is outside range 0-255, ignoring", n)
					continue
				}
				dst.Status = addSorted(dst.Status, n)
				continue
			}
			if names == nil {
				names = exitStatusNames()
			}
			if n, ok := names[w]; ok {
				dst.Status = addSorted(dst.Status, n)
				continue
			}
			if n := unix.SignalNum("SIG" + strings.TrimPrefix(w, "SIG")); n != 0 {
				dst.Signals = addSorted(dst.Signals, int(n))
				continue
			}
			c.warn("Failed to parse %s= value, ignoring: %s", c.key, w)
		}
		return nil
	}
}

func addSorted(s []int, n int) []int {
	i, found := slices.BinarySearch(s, n)
	if found {
		return s
	}
	return slices.Insert(s, i, n)
}

// stopSpan returns the parser of a time span of Stop where empty and
// "infinity" mean def and infinity (0).
func stopSpan(field func(*Stop) *time.Duration, def time.Duration) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(&svc(c).Stop)
		if v == "" {
			*dst = def
			return nil
		}
		d, err := unit.ParseTimespan(v)
		if err != nil {
			return err
		}
		*dst = d
		return nil
	}
}

func parseRestartSteps(c *parseCtx, v string) error {
	s := &svc(c).Stop
	if v == "" {
		s.RestartSteps = 0
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return err
	}
	s.RestartSteps = uint(n)
	return nil
}

func parseTimeoutAbort(c *parseCtx, v string) error {
	s := &svc(c).Stop
	if v == "" {
		s.TimeoutAbort, s.TimeoutAbortSet = 0, false
		return nil
	}
	d, err := unit.ParseTimespan(v)
	if err != nil {
		return err
	}
	s.TimeoutAbort, s.TimeoutAbortSet = d, true
	return nil
}

// stopSignal returns the parser of a signal of Stop; empty resets it to def.
func stopSignal(field func(*Stop) *int, def int) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(&svc(c).Stop)
		if v == "" {
			*dst = def
			return nil
		}
		n, err := ParseSignal(v)
		if err != nil {
			return err
		}
		*dst = n
		return nil
	}
}

func stopBool(field func(*Stop) *bool, def bool) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error { return parseBoolInto(field(&svc(c).Stop), v, def) }
}

// parseKillMode takes KillMode= as systemd 257 does, which warns about
// none (and not about process).
func parseKillMode(c *parseCtx, v string) error {
	if err := oneOf(func(s *Service) *string { return &s.KillMode }, "control-group", killModes)(c, v); err != nil {
		return err
	}
	if v == "none" {
		c.warn("Unit uses KillMode=none. This is unsafe, as it disables systemd's process lifecycle management for the service. " +
			"Please update the service to use a safer KillMode=, such as 'mixed' or 'control-group'. " +
			"Support for KillMode=none is deprecated and will eventually be removed.")
	}
	return nil
}

// markStartTimeout wraps the parser of a line that sets TimeoutStartSec=,
// which a oneshot otherwise has none of.
func markStartTimeout(p func(c *parseCtx, v string) error) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		if err := p(c, v); err != nil {
			return err
		}
		svc(c).Stop.timeoutStartSet = v != ""
		return nil
	}
}

func serviceStopDirectives() []Directive {
	st := func(f func(*Stop) *ExitStatusSet) func(c *parseCtx, v string) error { return parseExitStatusSet(f) }
	return []Directive{
		{Key: "SuccessExitStatus", Props: []string{"SuccessExitStatus"}, Parse: st(func(s *Stop) *ExitStatusSet { return &s.SuccessExitStatus })},
		{Key: "RestartPreventExitStatus", Props: []string{"RestartPreventExitStatus"}, Parse: st(func(s *Stop) *ExitStatusSet { return &s.RestartPreventExitStatus })},
		{Key: "RestartForceExitStatus", Props: []string{"RestartForceExitStatus"}, Parse: st(func(s *Stop) *ExitStatusSet { return &s.RestartForceExitStatus })},
		{Key: "RestartSteps", Props: []string{"RestartSteps"}, Parse: parseRestartSteps},
		{Key: "TimeoutAbortSec", Props: []string{"TimeoutAbortUSec"}, Parse: parseTimeoutAbort},
		{Key: "RuntimeMaxSec", Props: []string{"RuntimeMaxUSec"}, Parse: stopSpan(func(s *Stop) *time.Duration { return &s.RuntimeMax }, 0)},
		{Key: "RuntimeRandomizedExtraSec", Props: []string{"RuntimeRandomizedExtraUSec"}, Parse: stopSpan(func(s *Stop) *time.Duration { return &s.RuntimeRandomizedExtra }, 0)},
		{Key: "WatchdogSec", Props: []string{"WatchdogUSec"}, Parse: stopSpan(func(s *Stop) *time.Duration { return &s.Watchdog }, 0)},
		{Key: "WatchdogSignal", Props: []string{"WatchdogSignal"}, Parse: stopSignal(func(s *Stop) *int { return &s.WatchdogSignal }, int(syscall.SIGABRT))},
		{Key: "SendSIGHUP", Props: []string{"SendSIGHUP"}, Parse: stopBool(func(s *Stop) *bool { return &s.SendSIGHUP }, false)},
		{Key: "SendSIGKILL", Props: []string{"SendSIGKILL"}, Parse: stopBool(func(s *Stop) *bool { return &s.SendSIGKILL }, true)},
		{Key: "FinalKillSignal", Props: []string{"FinalKillSignal"}, Parse: stopSignal(func(s *Stop) *int { return &s.FinalKillSignal }, int(syscall.SIGKILL))},
		{Key: "RestartKillSignal", Props: []string{"RestartKillSignal"}, Parse: stopSignal(func(s *Stop) *int { return &s.RestartKillSignal }, 0)},
		{Key: "RestartMaxDelaySec", Props: []string{"RestartMaxDelayUSec"}, Parse: stopSpan(func(s *Stop) *time.Duration { return &s.RestartMaxDelay }, 0)},
	}
}

func serviceStopProps() []Property {
	p := func(name string, f func(s *Service) string) Property {
		return Property{Name: name, Format: func(u *Unit) string { return f(u.Service) }}
	}
	return []Property{
		p("SuccessExitStatus", func(s *Service) string { return s.SuccessExitStatus.String() }),
		p("RestartPreventExitStatus", func(s *Service) string { return s.RestartPreventExitStatus.String() }),
		p("RestartForceExitStatus", func(s *Service) string { return s.RestartForceExitStatus.String() }),
		p("RestartSteps", func(s *Service) string { return strconv.FormatUint(uint64(s.RestartSteps), 10) }),
		p("RestartMaxDelayUSec", func(s *Service) string { return formatTimeout(s.RestartMaxDelay) }),
		p("TimeoutAbortUSec", func(s *Service) string { return formatTimeout(s.AbortTimeout()) }),
		p("RuntimeMaxUSec", func(s *Service) string { return formatTimeout(s.RuntimeMax) }),
		p("RuntimeRandomizedExtraUSec", func(s *Service) string { return formatTimespan(s.RuntimeRandomizedExtra) }),
		p("SendSIGHUP", func(s *Service) string { return FormatBool(s.SendSIGHUP) }),
		p("SendSIGKILL", func(s *Service) string { return FormatBool(s.SendSIGKILL) }),
		p("FinalKillSignal", func(s *Service) string { return strconv.Itoa(s.FinalKillSignal) }),
		p("RestartKillSignal", func(s *Service) string { return strconv.Itoa(s.RestartSignal()) }),
		p("WatchdogUSec", func(s *Service) string { return formatTimespan(s.Watchdog) }),
		p("WatchdogSignal", func(s *Service) string { return strconv.Itoa(s.WatchdogSignal) }),
	}
}

// EffectiveNotifyAccess is whose sd_notify messages count: NotifyAccess=,
// by default none, but at least main for a service whose type waits for
// READY=1 or that has a watchdog, as in systemd 257.
func (s *Service) EffectiveNotifyAccess() string {
	a := s.NotifyAccess
	if (a == "" || a == "none") && (s.Type == "notify" || s.Type == "notify-reload" || s.Watchdog > 0) {
		return "main"
	}
	if a == "" {
		return "none"
	}
	return a
}

// AbortTimeout is how long a service stopped after a watchdog timeout
// gets (TimeoutAbortSec=, by default TimeoutStopSec=); 0 is none.
func (s *Service) AbortTimeout() time.Duration {
	if s.TimeoutAbortSet {
		return s.TimeoutAbort
	}
	return s.TimeoutStop
}

// RestartSignal is the signal a restart stops the service with.
func (s *Service) RestartSignal() int {
	if s.RestartKillSignal != 0 {
		return s.RestartKillSignal
	}
	return s.KillSignal
}

// finishStop checks the stop settings of a whole service as systemd does
// at load.
func (s *Service) finishStop() error {
	if s.Type == "oneshot" {
		if s.Restart == "always" || s.Restart == "on-success" {
			return refuse("Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.")
		}
		if !s.timeoutStartSet {
			// A oneshot runs as long as it takes, unless told otherwise.
			s.TimeoutStart = 0
		}
	}
	return nil
}

// NextRestartDelay is the delay before the automatic restart that follows n
// earlier ones: RestartSec=, growing with RestartSteps= in as many
// geometric steps up to RestartMaxDelaySec=, as systemd computes it.
func (s *Service) NextRestartDelay(n int) time.Duration {
	d, max := s.RestartDelay, s.RestartMaxDelay
	if s.RestartSteps == 0 || d <= 0 || max <= 0 || max <= d || n <= 0 {
		return d
	}
	if n >= int(s.RestartSteps) {
		return max
	}
	f := float64(n) / float64(s.RestartSteps)
	return time.Duration(float64(d) * math.Pow(float64(max)/float64(d), f))
}
