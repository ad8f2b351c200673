package manager

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

// Unlimited is the value of MemoryMax=, TasksMax= and sizes set to
// "infinity".
const Unlimited = math.MaxUint64

// DefaultTmpfsSize is the size of a capsule's runtime directory and private
// /tmp, /var/tmp and /dev/shm unless configured: 10% of RAM, as logind's
// RuntimeDirectorySize= gives /run/user/UID.
const DefaultTmpfsSize = "10%"

// physicalMemory is the RAM of the machine in bytes.
func physicalMemory() uint64 {
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

// parseBytes reads a memory size as systemd does: a number of bytes with
// an optional K, M, G, T, P or E suffix (base 1024), a percentage of
// physical memory, or "infinity".
func parseBytes(v string, ram uint64) (uint64, error) {
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

// parseTasks reads TasksMax=: a number, a percentage of the system's task
// limit, or "infinity".
func parseTasks(v string, system uint64) (uint64, error) {
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
	n, err := parseBytes(v, physicalMemory())
	if err != nil {
		return 0, err
	}
	if n == Unlimited || n < 1<<20 {
		return 0, fmt.Errorf("tmpfs size %q must be at least 1M and not infinity", v)
	}
	return n, nil
}

// tmpfsInodes is the inode limit of a bounded tmpfs of size bytes: as
// logind does, one inode per 4 KiB, so inodes cannot take memory beyond it.
func tmpfsInodes(size uint64) uint64 {
	if n := size / 4096; n >= 1024 {
		return n
	}
	return 1024
}

// resources are the limits of a service: the cgroup's (MemoryMax=,
// TasksMax=), the size of its tmpfs mounts and the rate of its log lines.
type resources struct {
	MemoryMax uint64 // 0: not set
	TasksMax  uint64 // 0: not set
	TmpfsSize uint64 // 0: the manager's default
	// LogRateInterval and LogRateBurst limit the lines copied from the
	// unit's output; either being 0 turns the limit off.
	LogRateInterval time.Duration
	LogRateBurst    int
}

// journald's RateLimitIntervalSec= and RateLimitBurst= defaults, which
// LogRateLimitIntervalSec= and LogRateLimitBurst= default to.
const (
	defaultLogRateInterval = 30 * time.Second
	defaultLogRateBurst    = 10000
)

// parseResources reads the resource directives; get returns a value with
// specifiers expanded, or def.
func parseResources(get func(key, def string) (string, error)) (resources, error) {
	r := resources{LogRateInterval: defaultLogRateInterval, LogRateBurst: defaultLogRateBurst}
	ram := physicalMemory()
	parse := []struct {
		key string
		set func(string) error
	}{
		{"MemoryMax", func(v string) (err error) { r.MemoryMax, err = parseBytes(v, ram); return }},
		{"TasksMax", func(v string) (err error) { r.TasksMax, err = parseTasks(v, systemTasksMax()); return }},
		{"TmpfsSize", func(v string) (err error) { r.TmpfsSize, err = TmpfsSize(v); return }},
		{"LogRateLimitIntervalSec", func(v string) (err error) { r.LogRateInterval, err = unit.ParseTimespan(v); return }},
		{"LogRateLimitBurst", func(v string) error {
			n, err := strconv.ParseUint(v, 10, 31)
			r.LogRateBurst = int(n)
			return err
		}},
	}
	for _, p := range parse {
		v, err := get(p.key, "")
		if err != nil {
			return r, fmt.Errorf("%s=: %w", p.key, err)
		}
		if v == "" {
			continue
		}
		if err := p.set(v); err != nil {
			return r, fmt.Errorf("%s=%s: %w", p.key, v, err)
		}
	}
	return r, nil
}

// tmpfsSize is the size of each tmpfs u can write to.
func (m *Manager) tmpfsSize(u *Unit) uint64 {
	if u.svc.TmpfsSize > 0 {
		return u.svc.TmpfsSize
	}
	return m.cfg.TmpfsSize
}

// sectionGetter returns a get function for parseResources that reads
// section of o with specifiers expanded.
func sectionGetter(o *unit.Options, section string, exp func(string) (string, error)) func(key, def string) (string, error) {
	return func(key, def string) (string, error) {
		v, ok := o.Get(section, key)
		if !ok || v == "" {
			return def, nil
		}
		return exp(v)
	}
}
