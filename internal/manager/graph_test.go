package manager

import (
	"slices"
	"testing"

	"github.com/capsuled/capsuled/internal/job"
)

// TestDefaultDependencies checks the implicit and default dependencies of
// each unit type against what systemd 257 showed (show -p Requires,After,
// ...) for the same files in a capsule's user manager and in the system
// manager; mount and journald dependencies capsuled has no units for are
// left out.
func TestDefaultDependencies(t *testing.T) {
	files := map[string]string{
		"d4.service":   "[Service]\nExecStart=/bin/sleep infinity\n",
		"d4.socket":    "[Socket]\nListenStream=/run/d4.sock\n",
		"d4.target":    "[Unit]\nDescription=d4 target\n",
		"d4.slice":     "[Slice]\n",
		"d4-x.slice":   "[Slice]\n",
		"n4.service":   "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep infinity\n",
		"n4.socket":    "[Unit]\nDefaultDependencies=no\n[Socket]\nListenStream=/run/n4.sock\n",
		"n4.target":    "[Unit]\nDefaultDependencies=no\n",
		"d4v.target":   "[Unit]\nWants=d4.service n4.service\n",
		"d4w.target":   "[Unit]\nWants=late.service\n",
		"late.service": "[Service]\nExecStart=/bin/sleep infinity\n",
	}
	type deps map[job.Dependency][]string
	shutdown := deps{job.Conflicts: {"shutdown.target"}, job.Before: {"shutdown.target"}}
	merge := func(ds ...deps) deps {
		out := deps{}
		for _, d := range ds {
			for k, v := range d {
				out[k] = append(out[k], v...)
			}
		}
		return out
	}
	tests := []struct {
		mode Mode
		unit string
		want deps
	}{
		{User, "d4.service", merge(shutdown, deps{job.Requires: {"app.slice", "basic.target"},
			job.After: {"app.slice", "basic.target"}})},
		{System, "d4.service", merge(shutdown, deps{job.Requires: {"system.slice", "sysinit.target"},
			job.After: {"system.slice", "sysinit.target", "basic.target"}})},
		{User, "n4.service", deps{job.Requires: {"app.slice"}, job.After: {"app.slice"}}},
		{System, "n4.service", deps{job.Requires: {"system.slice"}, job.After: {"system.slice"}}},
		{User, "d4.socket", merge(shutdown, deps{job.Before: {"d4.service", "sockets.target"}, job.Triggers: {"d4.service"}})},
		{System, "d4.socket", merge(shutdown, deps{job.Before: {"d4.service", "sockets.target"}, job.Triggers: {"d4.service"},
			job.Requires: {"sysinit.target"}, job.After: {"sysinit.target"}})},
		{User, "n4.socket", deps{job.Before: {"n4.service"}, job.Triggers: {"n4.service"}}},
		{User, "d4.target", shutdown},
		{System, "d4.target", shutdown},
		{User, "n4.target", deps{}},
		{User, "d4.slice", shutdown},
		{User, "d4-x.slice", merge(shutdown, deps{job.Requires: {"d4.slice"}, job.After: {"d4.slice"}})},
		// A target is After= what it pulls in, unless that opted out.
		{User, "d4v.target", merge(shutdown, deps{job.Wants: {"d4.service", "n4.service"}, job.After: {"d4.service"}})},
	}
	for _, tt := range tests {
		m, _, _ := fakeEngine(t, files)
		m.cfg.Mode = tt.mode
		for _, n := range []string{"d4.service", "n4.service", tt.unit} {
			if _, err := m.load(n); err != nil {
				t.Fatal(err)
			}
		}
		m.mu.Lock()
		got := m.graph.fwd[tt.unit]
		m.mu.Unlock()
		for _, d := range job.Dependencies() {
			g, w := slices.Clone(got.get(d)), slices.Clone(tt.want[d])
			slices.Sort(g)
			slices.Sort(w)
			if !slices.Equal(g, w) {
				t.Errorf("%s manager, %s: %s=%q, want %q", tt.mode, tt.unit, d, g, w)
			}
		}
	}
	// Loaded after the target that wants it, a unit still orders it.
	m, _, _ := fakeEngine(t, files)
	if _, err := m.load("d4w.target"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.load("late.service"); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.Contains(m.graph.Deps("d4w.target", job.After), "late.service") ||
		!slices.Contains(m.graph.Deps("late.service", job.Before), "d4w.target") {
		t.Errorf("d4w.target not ordered after late.service: After=%q", m.graph.Deps("d4w.target", job.After))
	}
}
