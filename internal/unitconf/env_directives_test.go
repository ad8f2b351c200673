package unitconf

import (
	"reflect"
	"strings"
	"testing"
)

func init() {
	for k, v := range map[string]sample{
		"Service.EnvironmentFile": {lines: "EnvironmentFile=/etc/a\nEnvironmentFile=-/etc/%N b", prop: "EnvironmentFiles",
			want: "/etc/a (ignore_errors=no)\n/etc/x b (ignore_errors=yes)"},
		"Service.PassEnvironment":  {lines: "PassEnvironment=LANG HOME\nPassEnvironment=FOO LANG", prop: "PassEnvironment", want: "LANG HOME FOO"},
		"Service.UnsetEnvironment": {lines: "UnsetEnvironment=X Y=1 \"Z=a b\"", prop: "UnsetEnvironment", want: `X Y=1 "Z=a b"`},
	} {
		samples[k] = v
	}
}

// TestEnvironmentDirectives: the values and warnings are those systemd 257
// gave for the same lines.
func TestEnvironmentDirectives(t *testing.T) {
	tests := []struct {
		body  string
		warns []string
		prop  string
		want  string
	}{
		{`Environment=A=1 B "C D=1" 1X=2 =v "E=x y" F=\x41 G=$H`, []string{
			"/u/x.service:3: Invalid environment assignment, ignoring: B",
			"/u/x.service:3: Invalid environment assignment, ignoring: C D=1",
			"/u/x.service:3: Invalid environment assignment, ignoring: 1X=2",
			"/u/x.service:3: Invalid environment assignment, ignoring: =v",
		}, "Environment", `A=1 "E=x y" F=A "G=\$H"`},
		{"Environment=Z='unterminated", []string{"/u/x.service:3: Invalid syntax, ignoring: Z='unterminated"}, "Environment", ""},
		{"Environment=A=1 B=2\nEnvironment=A=3", nil, "Environment", "A=3 B=2"},
		{"Environment=A=1\nEnvironment=\nEnvironment=B=2", nil, "Environment", "B=2"},
		{"EnvironmentFile=relative", []string{"/u/x.service:3: EnvironmentFile= path is not absolute, ignoring: relative"}, "EnvironmentFiles", ""},
		{"EnvironmentFile=/a\nEnvironmentFile=\nEnvironmentFile=-/a/b /c", nil, "EnvironmentFiles", "/a/b /c (ignore_errors=yes)"},
		{"PassEnvironment=LANG 1BAD", []string{"/u/x.service:3: Invalid environment name for PassEnvironment, ignoring: 1BAD"}, "PassEnvironment", "LANG"},
		{"UnsetEnvironment=X Y=1 2BAD Z=3=4", []string{"/u/x.service:3: Invalid environment name or assignment UnsetEnvironment, ignoring: 2BAD"}, "UnsetEnvironment", "X Y=1 Z=3=4"},
	}
	for _, tt := range tests {
		u, w, err := parse(t, "x.service", "[Service]\nExecStart=/bin/true\n"+tt.body+"\n")
		if err != nil {
			t.Errorf("%q: refused: %v", tt.body, err)
			continue
		}
		var got []string
		for _, x := range w {
			got = append(got, x.String())
		}
		if !reflect.DeepEqual(got, tt.warns) {
			t.Errorf("%q: warnings\n%s\nwant\n%s", tt.body, strings.Join(got, "\n"), strings.Join(tt.warns, "\n"))
		}
		if got := property(t, u, tt.prop); got != tt.want {
			t.Errorf("%q: %s=%q, want %q", tt.body, tt.prop, got, tt.want)
		}
	}
}

// TestSpecifiersPerWord: specifiers in Exec*= and Environment= lines are
// expanded in each word after quotes and escapes are undone, so an
// escape a unit name holds stays as it is (systemd 257 printed
// n=ev-sp-x@in-st\x2dz.service) and a value with spaces stays one word.
func TestSpecifiersPerWord(t *testing.T) {
	name := `x@a\x2db.service`
	u := mustParse(t, name, "[Service]\nExecStart=/bin/echo %n \"%i %%\" \\x41\nEnvironment=N=%n \"I=%I %%\"\nPassEnvironment=%p\n")
	if got, want := u.Service.ExecStart[0].Argv, []string{"/bin/echo", name, `a\x2db %`, "A"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ExecStart argv %q, want %q", got, want)
	}
	if got, want := u.Service.Environment, []string{"N=" + name, "I=a-b %"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Environment %q, want %q", got, want)
	}
	if got, want := u.Service.PassEnvironment, []string{"x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PassEnvironment %q, want %q", got, want)
	}
	_, w, err := parse(t, name, "[Service]\nExecStart=/bin/true\nExecStartPre=/bin/echo %z\nEnvironment=A=1 B=%z C=3\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/u/" + name + ":3: Failed to resolve unit specifiers in /bin/echo %z, ignoring: expand %z in \"%z\": unknown specifier %z",
		"/u/" + name + ":4: Failed to resolve unit specifiers in B=%z, ignoring: expand %z in \"B=%z\": unknown specifier %z",
	}
	var got []string
	for _, x := range w {
		got = append(got, x.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
