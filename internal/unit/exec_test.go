package unit

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want Command
	}{
		{`/bin/echo hello world`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "hello", "world"}}},
		{"  /bin/echo\thello  ", Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "hello"}}},
		{`/bin/echo "hello world" 'single quoted'`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "hello world", "single quoted"}}},
		{`/bin/echo "it's" 'say "hi"'`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "it's", `say "hi"`}}},
		{`/bin/echo a"b c"d`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "ab cd"}}},
		{`/bin/echo "" ''`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "", ""}}},
		{`/bin/echo \x41\102 \t\n \\ \" \'`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "AB", "\t\n", `\`, `"`, `'`}}},
		{`/bin/echo "tab\there" 'x\x41'`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "tab\there", "xA"}}},
		{`/bin/echo a\ b \s`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "a b", " "}}},
		{`/bin/echo \u00fc`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "\u00fc"}}},
		{`/bin/echo \; ";" foo;`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", ";", ";", "foo;"}}},
		{`/bin/echo $FOO ${BAR}`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "$FOO", "${BAR}"}}},
		{`echo hi`, Command{Path: "echo", Argv: []string{"echo", "hi"}}},
		{`"/opt/my app/run" x`, Command{Path: "/opt/my app/run", Argv: []string{"/opt/my app/run", "x"}}},
		{`-/bin/false`, Command{Path: "/bin/false", Argv: []string{"/bin/false"}, IgnoreFailure: true}},
		{`@/bin/sh mysh -c true`, Command{Path: "/bin/sh", Argv: []string{"mysh", "-c", "true"}, ArgvZero: true}},
		{`:/bin/echo $FOO`, Command{Path: "/bin/echo", Argv: []string{"/bin/echo", "$FOO"}, NoEnvExpand: true}},
		{`+/bin/true`, Command{Path: "/bin/true", Argv: []string{"/bin/true"}, Privileged: true}},
		{`!/bin/true`, Command{Path: "/bin/true", Argv: []string{"/bin/true"}, AmbientOnly: true}},
		{`!!/bin/true`, Command{Path: "/bin/true", Argv: []string{"/bin/true"}, AmbientOnly: true, AmbientDouble: true}},
		{`-@:+/bin/sh sh -c x`, Command{Path: "/bin/sh", Argv: []string{"sh", "-c", "x"}, IgnoreFailure: true, ArgvZero: true, NoEnvExpand: true, Privileged: true}},
		{`:-!!/bin/true`, Command{Path: "/bin/true", Argv: []string{"/bin/true"}, IgnoreFailure: true, NoEnvExpand: true, AmbientOnly: true, AmbientDouble: true}},
		{`"-/bin/false"`, Command{Path: "/bin/false", Argv: []string{"/bin/false"}, IgnoreFailure: true}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCommand(tc.in)
			if err != nil {
				t.Fatalf("ParseCommand: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "empty command"},
		{"   \t", "empty command"},
		{`/bin/echo a ; /bin/echo b`, "';'"},
		{`/bin/echo "unterminated`, "unterminated"},
		{`/bin/echo 'unterminated`, "unterminated"},
		{`/bin/echo \q`, `unknown escape \q`},
		{`/bin/echo \x4`, `\x`},
		{`/bin/echo \xZZ`, `\x`},
		{`/bin/echo \x00`, "NUL"},
		{`/bin/echo \777`, "out of range"},
		{`/bin/echo \18`, "octal"},
		{`/bin/echo trailing\`, "trailing backslash"},
		{`@/bin/sh`, "argv[0]"},
		{`-`, "empty executable path"},
		{`""`, "empty executable path"},
		{`+!/bin/true`, "mutually exclusive"},
		{`!+/bin/true`, "mutually exclusive"},
		{`--/bin/true`, "more than once"},
		{`!!!/bin/true`, "more than once"},
		{`./relative`, "neither an absolute path"},
		{`bin/x`, "neither an absolute path"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseCommand(tc.in)
			if err == nil {
				t.Fatal("expected error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{
		"FOO":   "a b  c",
		"ONE":   "x",
		"EMPTY": "",
		"SPACE": "   ",
	}
	tests := []struct {
		cmd  string
		want []string
	}{
		{`/bin/echo $FOO`, []string{"/bin/echo", "a", "b", "c"}},
		{`/bin/echo ${FOO}`, []string{"/bin/echo", "a b  c"}},
		{`/bin/echo pre${ONE}post ${ONE}${ONE}`, []string{"/bin/echo", "prexpost", "xx"}},
		{`/bin/echo $EMPTY $UNSET $SPACE end`, []string{"/bin/echo", "end"}},
		{`/bin/echo ${EMPTY} ${UNSET}`, []string{"/bin/echo", "", ""}},
		{`/bin/echo $$ $$FOO cost$$5 $$$$`, []string{"/bin/echo", "$", "$FOO", "cost$5", "$$"}},
		{`/bin/echo a$ONE $ ${ONE`, []string{"/bin/echo", "a$ONE", "$", "${ONE"}},
		{`/bin/echo ${ONE:-def} ${UNSET:-def} ${EMPTY:-def}`, []string{"/bin/echo", "x", "def", "def"}},
		{`/bin/echo ${ONE:+alt} ${UNSET:+alt}`, []string{"/bin/echo", "alt", ""}},
		{`/bin/echo ${not-a-name}`, []string{"/bin/echo", "${not-a-name}"}},
		{`/bin/echo "$FOO"`, []string{"/bin/echo", "a", "b", "c"}},
		{`/bin/echo "${FOO} and more"`, []string{"/bin/echo", "a b  c and more"}},
		{`:/bin/echo $FOO ${FOO} $$`, []string{"/bin/echo", "$FOO", "${FOO}", "$$"}},
		{`@/bin/sh $ONE -c true`, []string{"x", "-c", "true"}},
	}
	for _, tc := range tests {
		t.Run(tc.cmd, func(t *testing.T) {
			c, err := ParseCommand(tc.cmd)
			if err != nil {
				t.Fatalf("ParseCommand: %v", err)
			}
			got := c.ExpandEnv(env)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// Expansion must not modify the parsed command.
	c, _ := ParseCommand(`/bin/echo $FOO`)
	c.ExpandEnv(env)
	if c.Argv[1] != "$FOO" {
		t.Errorf("Argv modified: %q", c.Argv)
	}
}
