package unit

import (
	"errors"
	"strings"
	"testing"
)

func TestSpecifiersExpand(t *testing.T) {
	base := Specifiers{
		User: "tatze", UID: "1000", Home: "/home/tatze", Shell: "/bin/sh",
		Group: "cats", GID: "1001",
		RuntimeDir: "/run/user/1000", StateDir: "/var/lib", CacheDir: "/var/cache",
		LogsDir: "/var/log", ConfigDir: "/etc",
		Hostname: "box.example.org", MachineID: "abc123", BootID: "boot42",
	}
	with := func(name string) Specifiers { s := base; s.Name = name; return s }

	tests := []struct {
		name string
		spec Specifiers
		in   string
		want string
	}{
		{"no specifiers", base, "plain text", "plain text"},
		{"percent", base, "100%% sure", "100% sure"},
		{"trailing percent kept", base, "50%", "50%"},
		{"user fields", base, "%u:%U:%h:%s:%g:%G", "tatze:1000:/home/tatze:/bin/sh:cats:1001"},
		{"dirs", base, "%t %S %C %L %E", "/run/user/1000 /var/lib /var/cache /var/log /etc"},
		{"host", base, "%H %l %m %b", "box.example.org box abc123 boot42"},
		{"temp defaults", base, "%T %V", "/tmp /var/tmp"},
		{"temp set", Specifiers{TempDir: "/t", VarTempDir: "/vt"}, "%T %V", "/t /vt"},
		{"empty optional", Specifiers{}, "[%H][%m][%b]", "[][][]"},
		{"instance name", with(`capsule@home-tatze\x2dcat.service`), "%n|%N|%p|%P", `capsule@home-tatze\x2dcat.service|capsule@home-tatze\x2dcat|capsule|capsule`},
		{"instance escaped vs unescaped", with(`capsule@home-tatze\x2dcat.service`), "%i|%I", `home-tatze\x2dcat|home/tatze-cat`},
		{"instance path", with(`capsule@home-tatze\x2dcat.service`), "%f", "/home/tatze-cat"},
		{"instance x41", with(`getty@tty\x41.service`), "%i %I", `tty\x41 ttyA`},
		{"plain name", with("basic.target"), "%n %N %p %i|%I|", "basic.target basic basic ||"},
		{"prefix path", with("dev-sda1.device"), "%f", "/dev/sda1"},
		{"root path", with("-.mount"), "%f", "/"},
		{"last component", with(`a-b\x2dc@x.service`), "%j %J", `b\x2dc b-c`},
		{"last component no dash", with("foo@x.service"), "%j", "foo"},
		{"template", with("capsule@.service"), "%n %N %p [%i]", "capsule@.service capsule@ capsule []"},
		{"mixed", with("web@8080.service"), "%h/.config/%p/%i.conf", "/home/tatze/.config/web/8080.conf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.spec.Expand(tc.in)
			if err != nil {
				t.Fatalf("Expand(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSpecifiersErrors(t *testing.T) {
	tests := []struct {
		name    string
		spec    Specifiers
		in, msg string
		unknown bool
	}{
		{"unknown", Specifiers{Name: "a.service"}, "x%zy", "%z", true},
		{"unknown uppercase", Specifiers{}, "%Q", "%Q", true},
		{"name required", Specifiers{}, "%n", "%n", false},
		{"bad name", Specifiers{Name: "not a unit"}, "%i", "invalid unit name", false},
		{"bad instance escape", Specifiers{Name: `a@b\x4g.service`}, "%I", "invalid hex escape", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.spec.Expand(tc.in)
			if err == nil {
				t.Fatal("expected error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if errors.Is(err, ErrUnknownSpecifier) != tc.unknown {
				t.Errorf("errors.Is(ErrUnknownSpecifier) = %v, want %v", !tc.unknown, tc.unknown)
			}
		})
	}
}
