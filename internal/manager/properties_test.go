package manager

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestOrderedProperties(t *testing.T) {
	in := []Property{{"ActiveState", "active"}, {"Zed", "1"}, {"Id", "a.service"}, {"ExecStart", "x"},
		{"Alpha", "2"}, {"ExecStart", "y"}, {"Result", "success"}}
	got := ordered(propertyOrder["service"], overlay(in, []Property{{"ExecStart", "z"}}))
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
