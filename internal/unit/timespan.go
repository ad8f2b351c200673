package unit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTimespan parses a time span as systemd.time(7) writes them: "90"
// (seconds), "5s", "2min", "1min 30s", "55s500ms", "2 h", "500ms", and
// "infinity", which yields 0 (no limit).
func ParseTimespan(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "infinity" {
		return 0, nil
	}
	if v == "" {
		return 0, fmt.Errorf("empty time span")
	}
	units := []struct {
		suffix string
		d      time.Duration
	}{{"usec", time.Microsecond}, {"us", time.Microsecond}, {"msec", time.Millisecond}, {"ms", time.Millisecond},
		{"seconds", time.Second}, {"second", time.Second}, {"sec", time.Second}, {"s", time.Second},
		{"minutes", time.Minute}, {"minute", time.Minute}, {"min", time.Minute}, {"m", time.Minute},
		{"hours", time.Hour}, {"hour", time.Hour}, {"hr", time.Hour}, {"h", time.Hour},
		{"days", 24 * time.Hour}, {"day", 24 * time.Hour}, {"d", 24 * time.Hour}}
	// A span is a sequence of numbers, each optionally followed by a unit;
	// spaces may appear anywhere between the parts.
	var total time.Duration
	rest := strings.ReplaceAll(v, " ", "")
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i == 0 {
			return 0, fmt.Errorf("invalid time span %q", v)
		}
		num := rest
		if i > 0 {
			num, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid time span %q", v)
		}
		mult := time.Second
		if rest != "" {
			j := strings.IndexFunc(rest, func(r rune) bool { return r >= '0' && r <= '9' || r == '.' })
			suffix := rest
			if j >= 0 {
				suffix, rest = rest[:j], rest[j:]
			} else {
				rest = ""
			}
			found := false
			for _, u := range units {
				if suffix == u.suffix {
					mult, found = u.d, true
					break
				}
			}
			if !found {
				return 0, fmt.Errorf("invalid time unit %q in %q", suffix, v)
			}
		}
		total += time.Duration(f * float64(mult))
	}
	return total, nil
}
