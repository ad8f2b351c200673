package unitconf

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/unit"
)

// Resources are the limits of a service or slice: the cgroup's
// (MemoryMax=, TasksMax=), the size of its tmpfs mounts and the rate of its
// log lines.
type Resources struct {
	MemoryMax uint64 // 0: not set
	TasksMax  uint64 // 0: not set
	TmpfsSize uint64 // 0: the manager's default
	// LogRateInterval and LogRateBurst limit the lines copied from the
	// unit's output; either being 0 turns the limit off.
	LogRateInterval time.Duration
	LogRateBurst    int
	// NoLevelPrefix is SyslogLevelPrefix=no: a "<N>" starting a line of
	// output is part of the message, not its level.
	NoLevelPrefix bool
}

// journald's RateLimitIntervalSec= and RateLimitBurst= defaults, which
// LogRateLimitIntervalSec= and LogRateLimitBurst= default to.
const (
	defaultLogRateInterval = 30 * time.Second
	defaultLogRateBurst    = 10000
)

func defaultResources() Resources {
	return Resources{LogRateInterval: defaultLogRateInterval, LogRateBurst: defaultLogRateBurst}
}

// PhysicalMemory is the RAM of the machine in bytes.
func PhysicalMemory() uint64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// systemTasksMax is what TasksMax= percentages are taken of: the smaller of
// kernel.pid_max and kernel.threads-max, as systemd does.
func systemTasksMax() uint64 {
	limit := uint64(4194304)
	for _, f := range []string{"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && n < limit {
			limit = n
		}
	}
	return limit
}

// percent parses "N%" (N may have a fraction) and returns N/100 of total.
func percent(v string, total uint64) (uint64, bool, error) {
	p, ok := strings.CutSuffix(v, "%")
	if !ok {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(p, 64)
	if err != nil || f < 0 || f > 100 || math.IsNaN(f) {
		return 0, true, fmt.Errorf("invalid percentage %q", v)
	}
	return uint64(float64(total) * f / 100), true, nil
}

// ParseBytes reads a memory size as systemd does: a number of bytes with
// an optional K, M, G, T, P or E suffix (base 1024), a percentage of ram,
// or "infinity".
func ParseBytes(v string, ram uint64) (uint64, error) {
	v = strings.TrimSpace(v)
	if v == "infinity" {
		return Unlimited, nil
	}
	if n, ok, err := percent(v, ram); ok {
		return n, err
	}
	mult := uint64(1)
	if i := strings.IndexAny(v, "KMGTPEB"); i >= 0 {
		suffixes := map[string]uint64{"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}
		m, ok := suffixes[v[i:]]
		if !ok {
			return 0, fmt.Errorf("invalid size %q (use bytes with K, M, G or T, a percentage, or infinity)", v)
		}
		mult, v = m, v[:i]
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid size %q (use bytes with K, M, G or T, a percentage, or infinity)", v)
	}
	n := f * float64(mult)
	if n >= math.MaxUint64 {
		return 0, fmt.Errorf("size %q too large", v)
	}
	return uint64(n), nil
}

// ParseTasks reads TasksMax=: a number, a percentage of the system's task
// limit, or "infinity".
func ParseTasks(v string, system uint64) (uint64, error) {
	v = strings.TrimSpace(v)
	if v == "infinity" {
		return Unlimited, nil
	}
	if n, ok, err := percent(v, system); ok {
		return n, err
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid task limit %q (use a positive number, a percentage, or infinity)", v)
	}
	return n, nil
}

// TmpfsSize parses a tmpfs size (bytes with suffix or a percentage of
// RAM) for the --tmpfs-size flag and TmpfsSize=.
func TmpfsSize(v string) (uint64, error) {
	n, err := ParseBytes(v, PhysicalMemory())
	if err != nil {
		return 0, err
	}
	if n == Unlimited || n < 1<<20 {
		return 0, fmt.Errorf("tmpfs size %q must be at least 1M and not infinity", v)
	}
	return n, nil
}

// resourceDirectives returns the directives of Resources, found through
// res in the section's configuration. The limits refuse the unit when
// invalid: a typo must not lift a bound its author set.
func resourceDirectives(res func(*Unit) *Resources) []Directive {
	return []Directive{
		{Key: "MemoryMax", Props: []string{"MemoryMax"}, Strict: true, Parse: func(c *parseCtx, v string) (err error) {
			r := res(c.unit())
			if v == "" {
				r.MemoryMax = 0
				return nil
			}
			r.MemoryMax, err = ParseBytes(v, PhysicalMemory())
			return err
		}},
		{Key: "TasksMax", Props: []string{"TasksMax"}, Strict: true, Parse: func(c *parseCtx, v string) (err error) {
			r := res(c.unit())
			if v == "" {
				r.TasksMax = 0
				return nil
			}
			r.TasksMax, err = ParseTasks(v, systemTasksMax())
			return err
		}},
	}
}

// serviceResourceDirectives are the resource directives only services
// have: capsuled's TmpfsSize= and the log rate limit.
func serviceResourceDirectives(res func(*Unit) *Resources) []Directive {
	return []Directive{
		{Key: "TmpfsSize", Props: []string{"TmpfsSize"}, Strict: true, Parse: func(c *parseCtx, v string) (err error) {
			r := res(c.unit())
			if v == "" {
				r.TmpfsSize = 0
				return nil
			}
			r.TmpfsSize, err = TmpfsSize(v)
			return err
		}},
		{Key: "LogRateLimitIntervalSec", Props: []string{"LogRateLimitIntervalUSec"}, Parse: func(c *parseCtx, v string) error {
			r := res(c.unit())
			if v == "" {
				r.LogRateInterval = defaultLogRateInterval
				return nil
			}
			d, err := unit.ParseTimespan(v)
			if err != nil {
				return err
			}
			r.LogRateInterval = d
			return nil
		}},
		{Key: "SyslogLevelPrefix", Props: []string{"SyslogLevelPrefix"}, Parse: func(c *parseCtx, v string) error {
			var prefix bool
			if err := parseBoolInto(&prefix, v, true); err != nil {
				return err
			}
			res(c.unit()).NoLevelPrefix = !prefix
			return nil
		}},
		{Key: "LogRateLimitBurst", Props: []string{"LogRateLimitBurst"}, Parse: func(c *parseCtx, v string) error {
			r := res(c.unit())
			if v == "" {
				r.LogRateBurst = defaultLogRateBurst
				return nil
			}
			n, err := strconv.ParseUint(v, 10, 31)
			if err != nil {
				return err
			}
			r.LogRateBurst = int(n)
			return nil
		}},
	}
}

// resourceProps print Resources as systemctl show does.
func resourceProps(res func(*Unit) *Resources) []Property {
	return []Property{
		{Name: "MemoryMax", Format: func(u *Unit) string { return formatLimit(res(u).MemoryMax) }},
		{Name: "TasksMax", Format: func(u *Unit) string { return formatLimit(res(u).TasksMax) }},
	}
}

func serviceResourceProps(res func(*Unit) *Resources) []Property {
	return []Property{
		{Name: "TmpfsSize", Format: func(u *Unit) string {
			if n := res(u).TmpfsSize; n > 0 {
				return strconv.FormatUint(n, 10)
			}
			return ""
		}},
		{Name: "SyslogLevelPrefix", Format: func(u *Unit) string {
			if res(u).NoLevelPrefix {
				return "no"
			}
			return "yes"
		}},
		// systemd shows 0 for "journald's default", which these are.
		{Name: "LogRateLimitIntervalUSec", Format: func(u *Unit) string {
			if d := res(u).LogRateInterval; d != defaultLogRateInterval {
				return formatTimespan(d)
			}
			return "0"
		}},
		{Name: "LogRateLimitBurst", Format: func(u *Unit) string {
			if n := res(u).LogRateBurst; n != defaultLogRateBurst {
				return strconv.Itoa(n)
			}
			return "0"
		}},
	}
}
