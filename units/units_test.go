package units

import (
	"os"
	"path/filepath"
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

// TestHostDBusSocketNoSystemctl: the host's dbus.socket runs systemctl
// --user set-environment, which cannot reach capsuled and would wait on
// the socket being started; the built-in drop-in resets it.
func TestHostDBusSocketNoSystemctl(t *testing.T) {
	dir := t.TempDir()
	host := "[Socket]\nListenStream=%t/bus\nExecStartPost=-/bin/systemctl --user set-environment DBUS_SESSION_BUS_ADDRESS=unix:path=%t/bus\n"
	if err := os.WriteFile(filepath.Join(dir, "dbus.socket"), []byte(host), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := (&unit.Loader{Paths: []string{dir}, Builtin: User()}).Load("dbus.socket")
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Options.List("Socket", "ExecStartPost"); len(got) != 0 {
		t.Errorf("ExecStartPost=%q, drop-ins %q", got, u.DropIns)
	}
}
