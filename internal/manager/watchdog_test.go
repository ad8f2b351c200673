package manager

import (
	"slices"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/unitconf"
)

func TestWatchdogEnvAndNotifySocket(t *testing.T) {
	for _, tc := range []struct {
		typ      string
		watchdog time.Duration
		env      []string
		notifies bool
	}{
		{"simple", 0, nil, false},
		{"simple", 1500 * time.Millisecond, []string{"WATCHDOG_USEC=1500000"}, true},
		{"notify", 0, nil, true},
		{"notify-reload", time.Second, []string{"WATCHDOG_USEC=1000000"}, true},
		{"oneshot", 0, nil, false},
	} {
		svc := &unitconf.Service{Type: tc.typ, Stop: unitconf.Stop{Watchdog: tc.watchdog}}
		if got := watchdogEnv(svc); !slices.Equal(got, tc.env) {
			t.Errorf("%s %s: env %q, want %q", tc.typ, tc.watchdog, got, tc.env)
		}
		if got := notifies(svc); got != tc.notifies {
			t.Errorf("%s %s: NOTIFY_SOCKET %v, want %v", tc.typ, tc.watchdog, got, tc.notifies)
		}
	}
}
