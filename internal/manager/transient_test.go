package manager

import (
	"reflect"
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// parseTransient renders p and parses it back as a unit file.
func parseTransient(t *testing.T, p *TransientSpec) *unit.Options {
	t.Helper()
	text, err := transientFile(p, "/usr/bin/prog")
	if err != nil {
		t.Fatalf("transientFile: %v", err)
	}
	f, err := unit.Parse(strings.NewReader(text), "x.service")
	if err != nil {
		t.Fatalf("unit.Parse(%q): %v", text, err)
	}
	return unit.NewOptions(f)
}

// argvBack is what the manager will execute for a transient unit of argv.
func argvBack(t *testing.T, argv []string) []string {
	t.Helper()
	o := parseTransient(t, &TransientSpec{Argv: argv})
	v, ok := o.Get("Service", "ExecStart")
	if !ok {
		t.Fatal("no ExecStart= in transient unit")
	}
	x, err := unit.Specifiers{Name: "x.service"}.Expand(v)
	if err != nil {
		t.Fatalf("Expand(%q): %v", v, err)
	}
	cmd, err := unit.ParseCommand(x)
	if err != nil {
		t.Fatalf("ParseCommand(%q): %v", x, err)
	}
	if cmd.IgnoreFailure || !cmd.ArgvZero || cmd.NoEnvExpand || cmd.Privileged || cmd.AmbientOnly {
		t.Errorf("ParseCommand(%q) set unexpected prefix flags: %+v", x, cmd)
	}
	if cmd.Path != "/usr/bin/prog" {
		t.Errorf("ParseCommand(%q): program %q, want the resolved /usr/bin/prog", x, cmd.Path)
	}
	return cmd.ExpandEnv(map[string]string{"HOME": "/home/u", "A": "x y"})
}

func TestTransientArgvRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		argv []string
	}{
		{"plain", []string{"/bin/echo", "hello"}},
		{"bare name", []string{"sleep", "10"}},
		{"spaces", []string{"/bin/echo", "a b", "  lead", "trail  ", " "}},
		{"path with space", []string{"/opt/my prog/run", "x"}},
		{"double quotes", []string{"/bin/echo", `"`, `say "hi"`, `""`}},
		{"single quotes", []string{"/bin/echo", `'`, `it's`, `'a b'`}},
		{"backslashes", []string{"/bin/echo", `\`, `a\b`, `\\`, `\n`, `end\`, `\"`}},
		{"percent", []string{"/bin/echo", "%", "%%", "%n", "100%", "%h%i"}},
		{"dollar", []string{"/bin/echo", "$", "$$", "$HOME", "${HOME}", "$A", "${A:-d}", "a$HOME", "$$HOME"}},
		{"newlines and control", []string{"/bin/echo", "line1\nline2", "\n", "tab\there", "cr\rx", "\a\b\f\v"}},
		{"unicode", []string{"/bin/echo", "ünïcødé", "日本語", "emoji 🙂"}},
		{"empty strings", []string{"/bin/echo", "", "x", ""}},
		{"separators and comments", []string{"/bin/sh", "-c", "a; b", ";", `\;`, "#x", ";x", "&&", "|"}},
		{"prefix chars in args", []string{"/bin/echo", "-n", "@x", ":x", "+x", "!x", "!!x"}},
		{"equals", []string{"/usr/bin/env", "A=1", "B=x y", "=", "Environment=x"}},
		{"escape lookalikes", []string{"/bin/echo", `\x41`, `\u00e9`, `\101`, `\s`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := argvBack(t, tt.argv); !reflect.DeepEqual(got, tt.argv) {
				t.Errorf("round trip changed argv:\n got %q\nwant %q", got, tt.argv)
			}
		})
	}
}

func TestTransientArgv0Prefix(t *testing.T) {
	for _, argv0 := range []string{"-foo", "@foo", ":foo", "+foo", "!foo"} {
		argv := []string{argv0, "x"}
		if got := argvBack(t, argv); !reflect.DeepEqual(got, argv) {
			t.Errorf("round trip changed argv: got %q, want %q", got, argv)
		}
	}
}

func TestTransientFileServiceParses(t *testing.T) {
	// The rendered file is a valid service as the manager reads it.
	argv := []string{"/bin/echo", "%n", "$HOME", `"q"`}
	env := []string{"A=$HOME x", "B=%n", `C="q" 'r'`, `D=\`, "E=a\nb", "F="}
	o := parseTransient(t, &TransientSpec{Argv: argv, Environment: env, WorkingDirectory: "/srv/%n dir"})
	conf, w, err := unitconf.Parse("x.service", o, unit.Specifiers{Name: "x.service"}.Expand)
	if err != nil {
		t.Fatalf("unitconf.Parse: %v", err)
	}
	if len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	c := conf.Service
	if got := c.ExecStart[0].ExpandEnv(map[string]string{"HOME": "/h"}); !reflect.DeepEqual(got, argv) {
		t.Errorf("ExecStart = %q, want %q", got, argv)
	}
	if !reflect.DeepEqual(c.Environment, env) {
		t.Errorf("Environment = %q, want %q", c.Environment, env)
	}
	if c.WorkingDirectory != "/srv/%n dir" {
		t.Errorf("WorkingDirectory = %q", c.WorkingDirectory)
	}
}

func TestTransientDescription(t *testing.T) {
	tests := []struct {
		name string
		p    TransientSpec
		want string
	}{
		{"default", TransientSpec{Argv: []string{"/bin/echo", "a b"}}, "[capsulectl run] /bin/echo a b"},
		{"percent and newline", TransientSpec{Argv: []string{"/bin/echo", "100%", "x\ny"}}, "[capsulectl run] /bin/echo 100% x y"},
		{"given", TransientSpec{Argv: []string{"/bin/true"}, Description: "My %i job"}, "My %i job"},
	}
	for _, tt := range tests {
		o := parseTransient(t, &tt.p)
		v, _ := o.Get("Unit", "Description")
		got, err := unit.Specifiers{Name: "x.service"}.Expand(v)
		if err != nil || got != tt.want {
			t.Errorf("%s: Description = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestTransientTrailingBackslash(t *testing.T) {
	o := parseTransient(t, &TransientSpec{Argv: []string{"/bin/echo", `a\`}, Properties: []string{"After=foo.service"}})
	if v, ok := o.Get("Unit", "After"); !ok || v != "foo.service" {
		t.Errorf("After = %q, %v; want foo.service", v, ok)
	}
	// A working directory cannot be kept literally, so it is refused.
	if _, err := transientFile(&TransientSpec{Argv: []string{"/bin/true"}, WorkingDirectory: `/srv\`}, "/bin/true"); err == nil {
		t.Error("working directory ending in a backslash was accepted")
	}
}

func TestTransientProperties(t *testing.T) {
	o := parseTransient(t, &TransientSpec{Argv: []string{"/bin/true"},
		Properties: []string{"After=foo.service", "Wants=bar.service", "User=bob", "DynamicUser=yes", "TimeoutStopSec=5"}})
	for _, tt := range []struct{ section, key, want string }{
		{"Unit", "After", "foo.service"},
		{"Unit", "Wants", "bar.service"},
		{"Service", "User", "bob"},
		{"Service", "DynamicUser", "yes"},
		{"Service", "TimeoutStopSec", "5"},
	} {
		if v, ok := o.Get(tt.section, tt.key); !ok || v != tt.want {
			t.Errorf("[%s] %s = %q, %v; want %q", tt.section, tt.key, v, ok, tt.want)
		}
	}
	for _, e := range o.Entries() {
		if e.Section == "Unit" && e.Key == "User" || e.Section == "Service" && e.Key == "After" {
			t.Errorf("%s= landed in [%s]", e.Key, e.Section)
		}
	}
}

func TestTransientFileErrors(t *testing.T) {
	tests := []struct {
		name string
		p    TransientSpec
		want string
	}{
		{"unknown property", TransientSpec{Argv: []string{"/bin/true"}, Properties: []string{"Bogus=1"}}, "unknown property Bogus="},
		{"install property", TransientSpec{Argv: []string{"/bin/true"}, Properties: []string{"WantedBy=multi-user.target"}}, "unknown property WantedBy="},
		{"no equals", TransientSpec{Argv: []string{"/bin/true"}, Properties: []string{"After"}}, "not KEY=VALUE"},
		{"newline", TransientSpec{Argv: []string{"/bin/true"}, Properties: []string{"After=a\n[Service]"}}, "not KEY=VALUE"},
		{"bad env", TransientSpec{Argv: []string{"/bin/true"}, Environment: []string{"NOVALUE"}}, "not NAME=VALUE"},
	}
	for _, tt := range tests {
		_, err := transientFile(&tt.p, "/usr/bin/prog")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		argv    []string
		command bool
		want    string
	}{
		{[]string{"a", "b c"}, true, `"a" "b c"`},
		{[]string{`"\`}, true, `"\"\\"`},
		{[]string{"%$\n"}, true, `"%%$$\n"`},
		{[]string{"%$\n"}, false, `"%%$\n"`},
		{[]string{""}, true, `""`},
	}
	for _, tt := range tests {
		if got := quote(tt.argv, tt.command); got != tt.want {
			t.Errorf("quote(%q, %v) = %s, want %s", tt.argv, tt.command, got, tt.want)
		}
	}
}
