package cli

import (
	"reflect"
	"testing"
)

func TestTreeLine(t *testing.T) {
	tests := []struct {
		mark     string
		level    int
		branches uint64
		last     bool
		want     string
	}{
		{"● ", 0, 0, false, "● ├─x.service"},
		{"× ", 0, 0, true, "× └─x.service"},
		{"● ", 1, 1, true, "● │ └─x.service"},
		{"● ", 1, 0, false, "●   ├─x.service"},
		{"○ ", 3, 0b101, true, "○ │   │ └─x.service"},
	}
	for _, tt := range tests {
		if got := treeLine(tt.mark, "x.service", tt.level, tt.branches, tt.last); got != tt.want {
			t.Errorf("treeLine(%q, %d, %b, %v) = %q, want %q", tt.mark, tt.level, tt.branches, tt.last, got, tt.want)
		}
	}
}

func TestStateGlyph(t *testing.T) {
	for state, want := range map[string]string{"active": "●", "activating": "●", "deactivating": "●",
		"reloading": "↻", "failed": "×", "inactive": "○", "maintenance": "○"} {
		if got := stateGlyph(state); got != want {
			t.Errorf("stateGlyph(%s) = %s, want %s", state, got, want)
		}
	}
}

func TestSortDependencies(t *testing.T) {
	// As systemctl 257 listed ctl-a.service's: targets last, case ignored.
	deps := []string{"ctl-t.target", "ctl-c.service", "basic.target", "app.slice", "Ctl-b.service"}
	sortDependencies(deps)
	want := []string{"app.slice", "Ctl-b.service", "ctl-c.service", "basic.target", "ctl-t.target"}
	if !reflect.DeepEqual(deps, want) {
		t.Errorf("sorted %q, want %q", deps, want)
	}
}
