package job

import (
	"strings"
	"testing"
)

func TestMergeAndCollapse(t *testing.T) {
	for _, c := range []struct {
		a, b  Type
		state ActiveState
		want  string // type, or "conflict"
	}{
		{Start, Start, UnitInactive, "start"},
		{Start, VerifyActive, UnitInactive, "start"},
		{VerifyActive, Start, UnitInactive, "start"},
		{Start, Stop, UnitActive, "conflict"},
		{VerifyActive, Stop, UnitActive, "conflict"},
		{Reload, Stop, UnitActive, "conflict"},
		{Restart, Stop, UnitActive, "conflict"},
		{Reload, Start, UnitActive, "reload"},    // reload-or-start on an active unit
		{Reload, Start, UnitInactive, "start"},   // reload-or-start on an inactive unit
		{Reload, Start, UnitReloading, "reload"}, // reloading counts as active
		{Reload, VerifyActive, UnitInactive, "reload"},
		{Restart, Start, UnitInactive, "restart"},
		{Restart, VerifyActive, UnitActive, "restart"},
		{Restart, Reload, UnitActive, "restart"},
		{Stop, Stop, UnitActive, "stop"},
		{Nop, Nop, UnitActive, "nop"},
		{Nop, Start, UnitActive, "conflict"},
	} {
		got, ok := MergeAndCollapse(c.a, c.b, c.state)
		s := got.String()
		if !ok {
			s = "conflict"
		}
		if s != c.want {
			t.Errorf("merge %s+%s on %s = %s, want %s", c.a, c.b, c.state, s, c.want)
		}
		if c.a != Nop && c.b != Nop && Conflicting(c.a, c.b) != (c.want == "conflict") {
			t.Errorf("Conflicting(%s, %s) = %v", c.a, c.b, Conflicting(c.a, c.b))
		}
	}
	if Conflicting(Nop, Stop) || Conflicting(Start, Nop) {
		t.Error("nop conflicts with nothing")
	}
}

func TestCollapse(t *testing.T) {
	for _, c := range []struct {
		t     Type
		state ActiveState
		want  Type
	}{
		{TryRestart, UnitActive, Restart},
		{TryRestart, UnitActivating, Restart}, // an activating unit is restarted too
		{TryRestart, UnitInactive, Nop},
		{TryRestart, UnitFailed, Nop},
		{TryRestart, UnitDeactivating, Nop},
		{TryReload, UnitActive, Reload},
		{TryReload, UnitActivating, Nop},
		{TryReload, UnitInactive, Nop},
		{ReloadOrStart, UnitActive, Reload},
		{ReloadOrStart, UnitActivating, Start},
		{ReloadOrStart, UnitFailed, Start},
		{Start, UnitActive, Start},
		{Stop, UnitInactive, Stop},
	} {
		if got := Collapse(c.t, c.state); got != c.want {
			t.Errorf("Collapse(%s, %s) = %s, want %s", c.t, c.state, got, c.want)
		}
	}
}

func TestRedundant(t *testing.T) {
	for _, c := range []struct {
		t     Type
		state ActiveState
		want  bool
	}{
		{Start, UnitActive, true},
		{Start, UnitReloading, true},
		{Start, UnitActivating, false},
		{Start, UnitFailed, false},
		{VerifyActive, UnitActive, true},
		{Stop, UnitInactive, true},
		{Stop, UnitFailed, true},
		{Stop, UnitDeactivating, false},
		{Stop, UnitActive, false},
		{Reload, UnitActive, false},
		{Restart, UnitInactive, false},
		{Nop, UnitActive, true},
	} {
		if got := Redundant(c.t, c.state); got != c.want {
			t.Errorf("Redundant(%s, %s) = %v, want %v", c.t, c.state, got, c.want)
		}
	}
}

func TestNames(t *testing.T) {
	for i, n := range []string{"start", "verify-active", "stop", "reload", "restart", "nop", "try-restart", "try-reload", "reload-or-start"} {
		if Type(i).String() != n {
			t.Errorf("Type(%d) = %s, want %s", i, Type(i), n)
		}
		if got, err := ParseType(n); err != nil || got != Type(i) {
			t.Errorf("ParseType(%q) = %v, %v", n, got, err)
		}
	}
	for _, n := range []string{"replace", "fail", "replace-irreversibly", "isolate", "flush", "ignore-dependencies", "ignore-requirements", "triggering", "restart-dependencies"} {
		m, err := ParseMode(n)
		if err != nil || m.String() != n {
			t.Errorf("ParseMode(%q) = %v, %v", n, m, err)
		}
	}
	for i, n := range []string{"done", "canceled", "timeout", "failed", "dependency", "skipped", "invalid", "assert", "unsupported", "collected", "once", "frozen", "concurrency"} {
		if Result(i).String() != n {
			t.Errorf("Result(%d) = %s, want %s", i, Result(i), n)
		}
	}
	if _, err := ParseType("begin"); err == nil || !strings.Contains(err.Error(), "verify-active") {
		t.Errorf("ParseType(begin) error %v does not name the valid types", err)
	}
	if _, err := ParseMode("gentle"); err == nil || !strings.Contains(err.Error(), "ignore-requirements") {
		t.Errorf("ParseMode(gentle) error %v does not name the valid modes", err)
	}
	var zero Mode
	if zero != Replace {
		t.Error("the zero Mode is not replace")
	}
	if Requires.Inverse() != RequiredBy || After.Inverse() != Before || StopPropagatedFrom.Inverse() != PropagatesStopTo || PartOf.Inverse() != ConsistsOf {
		t.Error("wrong inverses")
	}
	for _, d := range Dependencies() {
		if d.Inverse().Inverse() != d {
			t.Errorf("%s: inverse of inverse is %s", d, d.Inverse().Inverse())
		}
	}
}

func TestDoneMessage(t *testing.T) {
	for _, c := range []struct {
		t    Type
		r    Result
		want string
	}{
		{Start, ResultDone, "Started %s."},
		{Start, ResultDependency, "Dependency failed for %s."},
		{Start, ResultTimeout, "Timed out starting %s."},
		{Start, ResultCanceled, ""},
		{Restart, ResultDone, "Stopped %s."},
		{Stop, ResultFailed, "Stopped %s with error."},
		{Reload, ResultDone, "Reloaded %s."},
		{VerifyActive, ResultSkipped, "%s is inactive."},
		{VerifyActive, ResultDone, ""},
	} {
		if got := DoneMessage(c.t, c.r); got != c.want {
			t.Errorf("DoneMessage(%s, %s) = %q, want %q", c.t, c.r, got, c.want)
		}
	}
}

func TestSymmetrize(t *testing.T) {
	deps := map[string]map[Dependency][]string{
		"a": {Requires: {"b"}, After: {"b", "b"}, StopPropagatedFrom: {"c"}},
		"c": {Before: {"a"}},
	}
	Symmetrize(deps)
	for _, c := range []struct {
		unit string
		d    Dependency
		want string
	}{
		{"a", After, "b c"},
		{"b", RequiredBy, "a"},
		{"b", Before, "a"},
		{"c", PropagatesStopTo, "a"},
		{"c", Before, "a"},
	} {
		if got := strings.Join(deps[c.unit][c.d], " "); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.unit, c.d, got, c.want)
		}
	}
}
