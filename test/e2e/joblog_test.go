package e2e

import (
	"strings"
	"testing"
)

// TestJobLogLines: the manager's job lines are systemd's: a oneshot logs
// "Starting X..." and "Finished X.", a simple service only "Started X.",
// and a unit without Description= is named once, not "X - X".
func TestJobLogLines(t *testing.T) {
	c := startCapsule(t, "jlog")
	writeUnits(t, c, map[string]string{
		"jl1.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
		"jl2.service": "[Unit]\nDescription=Second one\n[Service]\nExecStart=/bin/sleep infinity\n",
		"jl3.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
	})
	ctl(t, 0, "-C", c, "start", "jl1.service", "jl2.service")
	ctl(t, 1, "-C", c, "start", "jl3.service")
	ctl(t, 0, "-C", c, "stop", "jl2.service")
	for unit, want := range map[string][]string{
		"jl1.service": {"Starting jl1.service...", "Finished jl1.service."},
		"jl2.service": {"Started jl2.service - Second one.", "Stopping jl2.service - Second one...", "Stopped jl2.service - Second one."},
		"jl3.service": {"Starting jl3.service...", "Failed to start jl3.service."},
	} {
		logs := ctl(t, 0, "-C", c, "logs", "-u", unit).stdout
		for _, w := range want {
			if !strings.Contains(logs, w) {
				t.Errorf("logs of %s lack %q:\n%s", unit, w, logs)
			}
		}
		if strings.Contains(logs, unit+" - "+unit) {
			t.Errorf("logs of %s name it twice:\n%s", unit, logs)
		}
	}
	if logs := ctl(t, 0, "-C", c, "logs", "-u", "jl2.service").stdout; strings.Contains(logs, "Starting jl2") {
		t.Errorf("a simple service logged a Starting line:\n%s", logs)
	}
	st := ctl(t, 3, "-C", c, "status", "-n", "0", "jl1.service").stdout
	if first, _, _ := strings.Cut(st, "\n"); first != "○ jl1.service" {
		t.Errorf("status header %q, want %q", first, "○ jl1.service")
	}
}
