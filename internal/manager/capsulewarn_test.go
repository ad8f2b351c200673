package manager

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestStartFailureWarnings: a capsule's manager warns at load about the
// settings that fail every start there; the system manager does not.
func TestStartFailureWarnings(t *testing.T) {
	own := strconv.Itoa(os.Getuid())
	other := strconv.Itoa(os.Getuid() + 1)
	for _, tt := range []struct {
		body string
		mode Mode
		want []string // substrings, one per warning
	}{
		{"", User, nil},
		{"CapabilityBoundingSet=CAP_NET_RAW\n", User, []string{"CapabilityBoundingSet= needs the system manager", "218/CAPABILITIES"}},
		{"CapabilityBoundingSet=CAP_NET_RAW\n", System, nil},
		{"AmbientCapabilities=CAP_NET_RAW\n", User, []string{"x.service: AmbientCapabilities= needs the system manager", "218/CAPABILITIES"}},
		{"CapabilityBoundingSet=~CAP_NET_RAW\nAmbientCapabilities=CAP_CHOWN\n", User, []string{"x.service: CapabilityBoundingSet=, AmbientCapabilities= need the system manager"}},
		{"User=" + own + "\n", User, nil},
		{"User=" + other + "\n", User, []string{"x.service: User=" + other + ": a capsule's manager runs units only as the capsule's own user", "216/GROUP"}},
		{"User=" + other + "\n", System, nil},
	} {
		m := &Manager{cfg: Config{Mode: tt.mode}}
		w := strings.Join(m.startFailureWarnings(sandboxUnit(t, tt.body)), "\n")
		if tt.want == nil && w != "" {
			t.Errorf("%q (mode %v): warned %q", tt.body, tt.mode, w)
		}
		for _, s := range tt.want {
			if !strings.Contains(w, s) {
				t.Errorf("%q (mode %v): %q lacks %q", tt.body, tt.mode, w, s)
			}
		}
	}
}
