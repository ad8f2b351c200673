package unitconf

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ParseSignal reads a signal as KillSignal= takes it: a number or a name
// with or without "SIG".
func ParseSignal(v string) (int, error) {
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 65 {
		return n, nil
	}
	if n := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(v), "SIG")); n != 0 {
		return int(n), nil
	}
	return 0, fmt.Errorf("unknown signal %q", v)
}
