package manager

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOrderedProperties(t *testing.T) {
	in := []Property{{"ActiveState", "active"}, {"Zed", "1"}, {"Id", "a.service"}, {"ExecStart", "x"},
		{"Alpha", "2"}, {"ExecStart", "y"}, {"Result", "success"}}
	got := ordered(propertyOrder()["service"], overlay(in, []Property{{"ExecStart", "z"}}))
	// Service properties before Unit ones as systemd shows them; several
	// lines of one property replaced as one; unknown names last, in order.
	want := []Property{{"Result", "success"}, {"ExecStart", "z"}, {"Id", "a.service"}, {"ActiveState", "active"},
		{"Zed", "1"}, {"Alpha", "2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ordered = %v, want %v", got, want)
	}
}

func TestParseJobMode(t *testing.T) {
	tests := []struct {
		mode string
		want error
	}{
		{"", nil},
		{"replace", nil},
		{"fail", nil},
		{"isolate", nil},
		{"restart-dependencies", nil},
		{"bogus", errInvalid},
		{"Replace", errInvalid},
	}
	for _, tt := range tests {
		_, err := parseJobMode(tt.mode)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("parseJobMode(%q) = %v, want %v", tt.mode, err, tt.want)
		}
	}
	if _, err := parseJobMode("bogus"); !strings.Contains(err.Error(), "replace, fail, replace-irreversibly, isolate, flush, ignore-dependencies, ignore-requirements, triggering, restart-dependencies") {
		t.Errorf("invalid mode error does not list the valid ones: %v", err)
	}
}

func TestStateStamps(t *testing.T) {
	var s stateStamps
	s.record(stateInactive, stateActivating)
	if s.inactiveExit.wall.IsZero() || !s.activeEnter.wall.IsZero() || s.change != s.inactiveExit {
		t.Fatalf("inactive -> activating: %+v", s)
	}
	s.record(stateActivating, stateActive)
	if s.activeEnter.wall.IsZero() || s.activeEnter.mono < s.inactiveExit.mono {
		t.Fatalf("activating -> active: %+v", s)
	}
	enter := s.activeEnter
	s.record(stateActive, stateReloading)
	s.record(stateReloading, stateActive)
	if s.activeEnter != enter || !s.activeExit.wall.IsZero() {
		t.Fatalf("active -> reloading -> active moved ActiveEnter or ActiveExit: %+v", s)
	}
	s.record(stateActive, stateDeactivating)
	if s.activeExit.wall.IsZero() || !s.inactiveEnter.wall.IsZero() {
		t.Fatalf("active -> deactivating: %+v", s)
	}
	s.record(stateDeactivating, stateFailed)
	if s.inactiveEnter.wall.IsZero() || s.change != s.inactiveEnter {
		t.Fatalf("deactivating -> failed: %+v", s)
	}
}

func TestFormatTimestamp(t *testing.T) {
	// As systemd 257 printed ActiveEnterTimestamp= on a UTC host.
	s := stamp{wall: time.Date(2026, 11, 29, 20, 50, 38, 123456789, time.UTC)}
	if got, want := formatTimestamp(s), "Sun 2026-11-29 20:50:38 UTC"; got != want {
		t.Errorf("formatTimestamp = %q, want %q", got, want)
	}
}

// TestDependencyProperties checks that show's dependency properties are
// the job engine's graph, with the implicit and default dependencies and
// the reverse directions, as systemd 257 shows them (observed for the
// same files in a capsule's user manager).
func TestDependencyProperties(t *testing.T) {
	files := map[string]string{
		"d4.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"d4.socket":  "[Socket]\nListenStream=/run/d4.sock\n",
		"d4w.target": "[Unit]\nWants=d4.service\n",
		"n4.service": "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep infinity\n",
	}
	m, _, _ := fakeEngine(t, files)
	m.cfg.Mode = User
	for _, n := range []string{"d4.service", "d4.socket", "d4w.target"} {
		if _, err := m.load(n); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		unit string
		want map[string][]string
	}{
		{"d4.service", map[string][]string{
			"Requires": {"app.slice", "basic.target"}, "Wants": nil, "Conflicts": {"shutdown.target"},
			"Before":   {"d4w.target", "shutdown.target"},
			"After":    {"app.slice", "basic.target", "d4.socket"},
			"WantedBy": {"d4w.target"}, "TriggeredBy": {"d4.socket"}, "RequiredBy": nil,
		}},
		{"d4.socket", map[string][]string{
			"Triggers": {"d4.service"}, "Conflicts": {"shutdown.target"},
			"Before": {"d4.service", "shutdown.target", "sockets.target"},
		}},
		{"d4w.target", map[string][]string{
			"Wants": {"d4.service"}, "After": {"d4.service"}, "Conflicts": {"shutdown.target"},
			"Before": {"shutdown.target"},
		}},
		// Not loaded before: loaded for show, implicit deps kept.
		{"n4.service", map[string][]string{
			"Requires": {"app.slice"}, "After": {"app.slice"}, "Conflicts": nil, "Before": nil,
		}},
	}
	for _, tt := range tests {
		ps, err := m.Properties(tt.unit)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, p := range ps {
			got[p.Name] = strings.Fields(p.Value)
		}
		for name, want := range tt.want {
			g := slices.Clone(got[name])
			slices.Sort(g)
			if !slices.Equal(g, want) {
				t.Errorf("%s: %s=%q, want %q", tt.unit, name, g, want)
			}
		}
	}
}
