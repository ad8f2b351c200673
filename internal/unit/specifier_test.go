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

// TestSpecifiersObserved: every specifier of systemd.unit(5), with the
// values systemd 257 gave ev-sp-x@in-st\x2dz.service in capsule "ev" and in
// its system manager (host facts as they were there).
func TestSpecifiersObserved(t *testing.T) {
	host := &HostInfo{Arch: "x86-64", KernelRelease: "6.18.44-fc-v669", MachineID: "57adf7d78fc0461d81899eb12204e53e",
		BootID: "4c096d29e3af41bc8684712edd37e979", OSRelease: map[string]string{"ID": "debian", "VERSION_ID": "13"}}
	name := `ev-sp-x@in-st\x2dz.service`
	capsule := Specifiers{Name: name, Hostname: "vm", Host: func() *HostInfo { return host },
		User: "c-ev", UID: "62651", Group: "c-ev", GID: "62651", Shell: "/usr/sbin/nologin", Home: "/var/lib/capsules/ev",
		RuntimeDir: "/run/capsules/ev", StateDir: "/var/lib/capsules/ev/.local/state", CacheDir: "/var/lib/capsules/ev/.cache",
		LogsDir: "/var/lib/capsules/ev/.local/state/log", ConfigDir: "/var/lib/capsules/ev/.config",
		DataDir: "/var/lib/capsules/ev/.local/share", CredentialsDir: "/run/capsules/ev/credentials",
		Fragment: "/var/lib/capsules/ev/.config/systemd/user/ev-sp-x@.service"}
	system := Specifiers{Name: name, Hostname: "vm", Host: func() *HostInfo { return host },
		User: "root", UID: "0", Group: "root", GID: "0", Shell: "/bin/bash", Home: "/root",
		RuntimeDir: "/run", StateDir: "/var/lib", CacheDir: "/var/cache", LogsDir: "/var/log", ConfigDir: "/etc",
		DataDir: "/usr/share", CredentialsDir: "/run/credentials", Fragment: "/etc/systemd/system/ev-sp-x@.service"}
	tests := []struct {
		spec            byte
		capsule, system string
	}{
		{'a', "x86-64", "x86-64"},
		{'A', "", ""},
		{'b', "4c096d29e3af41bc8684712edd37e979", "4c096d29e3af41bc8684712edd37e979"},
		{'B', "", ""},
		{'C', "/var/lib/capsules/ev/.cache", "/var/cache"},
		{'d', `/run/capsules/ev/credentials/ev-sp-x@in-st\x2dz.service`, `/run/credentials/ev-sp-x@in-st\x2dz.service`},
		{'D', "/var/lib/capsules/ev/.local/share", "/usr/share"},
		{'E', "/var/lib/capsules/ev/.config", "/etc"},
		{'f', "/in/st-z", "/in/st-z"},
		{'g', "c-ev", "root"},
		{'G', "62651", "0"},
		{'h', "/var/lib/capsules/ev", "/root"},
		{'H', "vm", "vm"},
		{'i', `in-st\x2dz`, `in-st\x2dz`},
		{'I', "in/st-z", "in/st-z"},
		{'j', "x", "x"},
		{'J', "x", "x"},
		{'l', "vm", "vm"},
		{'L', "/var/lib/capsules/ev/.local/state/log", "/var/log"},
		{'m', "57adf7d78fc0461d81899eb12204e53e", "57adf7d78fc0461d81899eb12204e53e"},
		{'M', "", ""},
		{'n', `ev-sp-x@in-st\x2dz.service`, `ev-sp-x@in-st\x2dz.service`},
		{'N', `ev-sp-x@in-st\x2dz`, `ev-sp-x@in-st\x2dz`},
		{'o', "debian", "debian"},
		{'p', "ev-sp-x", "ev-sp-x"},
		{'P', "ev/sp/x", "ev/sp/x"},
		{'q', "vm", "vm"},
		{'s', "/usr/sbin/nologin", "/bin/bash"},
		{'S', "/var/lib/capsules/ev/.local/state", "/var/lib"},
		{'t', "/run/capsules/ev", "/run"},
		{'T', "/tmp", "/tmp"},
		{'u', "c-ev", "root"},
		{'U', "62651", "0"},
		{'v', "6.18.44-fc-v669", "6.18.44-fc-v669"},
		{'V', "/var/tmp", "/var/tmp"},
		{'w', "13", "13"},
		{'W', "", ""},
		{'y', "/var/lib/capsules/ev/.config/systemd/user/ev-sp-x@.service", "/etc/systemd/system/ev-sp-x@.service"},
		{'Y', "/var/lib/capsules/ev/.config/systemd/user", "/etc/systemd/system"},
		{'%', "%", "%"},
	}
	for _, tc := range tests {
		for _, c := range []struct {
			s    Specifiers
			want string
		}{{capsule, tc.capsule}, {system, tc.system}} {
			got, err := c.s.Expand("%" + string(tc.spec))
			if err != nil || got != c.want {
				t.Errorf("%%%c for %s: %q (%v), want %q", tc.spec, c.s.User, got, err, c.want)
			}
		}
	}
	// No instance: %f and %j from the prefix.
	s := capsule
	s.Name = "ev-sp2.service"
	if got, _ := s.Expand("%f %i|%I|%j %J %P"); got != "/ev/sp2 ||sp2 sp2 ev/sp2" {
		t.Errorf("ev-sp2.service: %q", got)
	}
	// A pretty host name wins over the host name.
	h2 := *host
	h2.PrettyHostname = "My Box"
	s.Host = func() *HostInfo { return &h2 }
	if got, _ := s.Expand("%q"); got != "My Box" {
		t.Errorf("%%q with PRETTY_HOSTNAME: %q", got)
	}
}

func TestShellVars(t *testing.T) {
	got := shellVars("# c\nID=debian\nPRETTY_NAME=\"Debian \\\"x\\\"\"\nVERSION_ID='12'\n\nBAD\n")
	want := map[string]string{"ID": "debian", "PRETTY_NAME": `Debian "x"`, "VERSION_ID": "12"}
	if len(got) != len(want) {
		t.Errorf("got %q", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
}
