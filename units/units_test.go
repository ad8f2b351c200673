package units

import (
	"slices"
	"testing"

	"github.com/capsuled/capsuled/internal/unit"
)

func TestBuiltinUnitsLoad(t *testing.T) {
	tests := []struct {
		fs    string
		name  string
		check func(t *testing.T, u *unit.Unit)
	}{
		{"system", "capsule@tatze.service", func(t *testing.T, u *unit.Unit) {
			if v, _ := u.Options.Get("Service", "User"); v != "c-%i" {
				t.Errorf("User=%q", v)
			}
		}},
		{"user", "capsule@tatze.target", func(t *testing.T, u *unit.Unit) {
			if got := u.Options.ListFields("Unit", "Requires"); !slices.Equal(got, []string{"basic.target"}) {
				t.Errorf("Requires=%q", got)
			}
		}},
		{"user", "sockets.target", func(t *testing.T, u *unit.Unit) {
			if !slices.Contains(u.Wants, "dbus.socket") {
				t.Errorf("sockets.target does not want dbus.socket: %q", u.Wants)
			}
		}},
		{"user", "dbus.socket", func(t *testing.T, u *unit.Unit) {
			if v, _ := u.Options.Get("Socket", "ListenStream"); v != "%t/bus" {
				t.Errorf("ListenStream=%q", v)
			}
		}},
		{"user", "dbus.service", nil},
		{"user", "session.slice", nil},
		{"user", "app.slice", nil},
		{"system", "capsule.slice", nil},
	}
	for _, tt := range tests {
		fsys := System()
		if tt.fs == "user" {
			fsys = User()
		}
		l := &unit.Loader{Builtin: fsys}
		u, err := l.Load(tt.name)
		if err != nil {
			t.Errorf("%s/%s: %v", tt.fs, tt.name, err)
			continue
		}
		if tt.check != nil {
			tt.check(t, u)
		}
	}
}
