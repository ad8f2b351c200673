package manager

import (
	"context"
	"strings"
	"testing"
)

// A timer or path unit refused for lacking a trigger logs the lines that
// were ignored and so caused the refusal, before the refusal itself, as
// systemd does; the refusal's hint names the capsule's manager.
func TestRefusedUnitLogsItsWarnings(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{
		"lw.timer":   "[Timer]\nOnCalendar=dialy\n",
		"lw.path":    "[Path]\nPathChanged=relative/x\n",
		"lw.service": "[Service]\nExecStart=/bin/true\n",
	})
	tests := []struct{ unit, warning, refusal string }{
		{"lw.timer", "lw.timer:2: Failed to parse calendar specification, ignoring: dialy", "lw.timer: Timer unit lacks value setting. Refusing."},
		{"lw.path", "lw.path:2: PathChanged= path is not absolute, ignoring: relative/x", "lw.path: Path unit lacks path setting. Refusing."},
	}
	for _, tt := range tests {
		u, err := m.Start(context.Background(), tt.unit)
		if err == nil || !strings.Contains(err.Error(), "fix it, then run capsulectl -C fake daemon-reload") {
			t.Errorf("start %s: %v", tt.unit, err)
		}
		if u == nil {
			t.Fatalf("start %s: no unit", tt.unit)
		}
		var lines []string
		for _, l := range m.unitTail(u, 10) {
			lines = append(lines, l.Message)
		}
		if len(lines) < 2 || !strings.HasSuffix(lines[0], tt.warning) || lines[1] != tt.refusal {
			t.Errorf("%s logged %q, want %q then %q", tt.unit, lines, tt.warning, tt.refusal)
		}
	}
}
