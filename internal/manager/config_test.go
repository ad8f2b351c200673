package manager

import (
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// options parses text as a unit file named name.
func options(t *testing.T, name, text string) *unit.Options {
	t.Helper()
	f, err := unit.Parse(strings.NewReader(text), name)
	if err != nil {
		t.Fatalf("unit.Parse: %v", err)
	}
	return unit.NewOptions(f)
}

func TestRestartPolicies(t *testing.T) {
	results := []Result{resultSuccess, resultExitCode, resultSignal, resultCoreDump, resultTimeout}
	want := map[string][]bool{
		"no":          {false, false, false, false, false},
		"always":      {true, true, true, true, true},
		"on-success":  {true, false, false, false, false},
		"on-failure":  {false, true, true, true, true},
		"on-abnormal": {false, false, true, true, true},
		"on-abort":    {false, false, true, true, false},
	}
	for policy, w := range want {
		for i, r := range results {
			if got := restartPolicies[policy](r); got != w[i] {
				t.Errorf("Restart=%s after %s: restart=%v, want %v", policy, r, got, w[i])
			}
		}
	}
}

// Every Restart= value unitconf accepts has a policy here.
func TestRestartPoliciesCoverRestartValues(t *testing.T) {
	for _, v := range []string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"} {
		u, w, err := unitconf.Parse("x.service", options(t, "x.service", "[Service]\nExecStart=/bin/true\nRestart="+v+"\n"), func(s string) (string, error) { return s, nil })
		if err != nil || len(w) > 0 {
			t.Fatalf("Restart=%s: %v %v", v, err, w)
		}
		if restartPolicies[u.Service.Restart] == nil {
			t.Errorf("Restart=%s has no policy", v)
		}
	}
}
