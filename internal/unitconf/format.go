package unitconf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/escape"
)

// FormatBool prints a boolean as systemctl show does.
func FormatBool(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// timespanUnits are systemd's, largest first (a month is 30.44 days, a
// year 365.25).
var timespanUnits = []struct {
	suffix string
	usec   uint64
}{
	{"y", 31557600 * 1e6}, {"month", 2629800 * 1e6}, {"w", 7 * 86400 * 1e6}, {"d", 86400 * 1e6},
	{"h", 3600 * 1e6}, {"min", 60 * 1e6}, {"s", 1e6}, {"ms", 1e3}, {"us", 1},
}

// formatTimespan prints a span as systemctl show prints *USec properties
// (exact, largest unit first: "1min 30s", "100ms", "1.500000s"); spans
// below a minute with a remainder use a decimal point, as systemd does.
func formatTimespan(d time.Duration) string {
	if d == math.MaxInt64 {
		return "infinity"
	}
	return FormatTimespanAccuracy(d, time.Microsecond)
}

// FormatTimespanAccuracy prints a span as systemd's format_timespan() does
// with the given accuracy (a power of ten of microseconds): digits below it
// are dropped, not rounded ("48ms", "1.234s" at 1ms).
func FormatTimespanAccuracy(d, accuracy time.Duration) string {
	t := uint64(max(d, 0) / time.Microsecond)
	acc := max(uint64(accuracy/time.Microsecond), 1)
	if t == 0 {
		return "0"
	}
	var parts []string
	for _, u := range timespanUnits {
		if t == 0 || (t < acc && len(parts) > 0) {
			break
		}
		if t < u.usec {
			continue
		}
		a, b := t/u.usec, t%u.usec
		if t < 60*1e6 && b > 0 {
			digits := 0
			for c := u.usec; c > 1; c /= 10 {
				digits++
			}
			for c := acc; c > 1 && digits > 0; c /= 10 {
				b /= 10
				digits--
			}
			if digits > 0 {
				parts = append(parts, fmt.Sprintf("%d.%0*d%s", a, digits, b, u.suffix))
				t = 0
				break
			}
		}
		parts = append(parts, fmt.Sprintf("%d%s", a, u.suffix))
		t = b
	}
	return strings.Join(parts, " ")
}

// formatTimeout prints a timeout where 0 means none, as "infinity".
func formatTimeout(d time.Duration) string {
	if d <= 0 {
		return "infinity"
	}
	return formatTimespan(d)
}

// formatLimit prints a MemoryMax=/TasksMax=-style limit; 0 (not set) and
// Unlimited are "infinity".
func formatLimit(n uint64) string {
	if n == 0 || n == Unlimited {
		return "infinity"
	}
	return strconv.FormatUint(n, 10)
}

// quoteItem quotes s as systemctl show quotes the items of a string list
// (control characters C-escaped, UTF-8 as it is).
func quoteItem(s string) string {
	if s == "" {
		return `""`
	}
	return escape.ShellQuote(s, false)
}

// formatList prints a string list property: items space-separated, each
// quoted where the shell would need it.
func formatList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = quoteItem(s)
	}
	return strings.Join(q, " ")
}

// Unlimited is the value of MemoryMax=, TasksMax= and sizes set to
// "infinity".
const Unlimited = math.MaxUint64
