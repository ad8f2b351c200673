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
	// Expected values are what systemd 257 passed (observed with a
	// program printing its argv), the first two systemd.service(5)'s
	// own examples.
	env1 := map[string]string{"ONE": "one", "TWO": "two two"}
	env2 := map[string]string{"ONE": "one", "TWO": "'two two' too", "THREE": ""}
	env3 := map[string]string{"ONE": "one", "TWO": "a  b\tc", "Q": `'x y' "z w" \\ e\ f`}
	tests := []struct {
		env        map[string]string
		cmd        string
		want       []string
		unset, bad []string
	}{
		{env1, `/bin/echo $ONE $TWO ${TWO}`, []string{"/bin/echo", "one", "two", "two", "two two"}, nil, nil},
		{env2, `/bin/echo ${ONE} ${TWO} ${THREE}`, []string{"/bin/echo", "one", "'two two' too", ""}, nil, nil},
		{env2, `/bin/echo $ONE $TWO $THREE`, []string{"/bin/echo", "one", "two two", "too"}, nil, nil},
		{env3, `/bin/echo $$ONE a$$b $$ $$$$ $`, []string{"/bin/echo", "$ONE", "a$b", "$", "$$"}, nil, []string{""}},
		{env3, `/bin/echo $UNSET x${UNSET}y "${UNSET}" "$UNSET"`, []string{"/bin/echo", "xy", ""}, []string{"UNSET"}, nil},
		{env3, `/bin/echo a$ONE a${ONE}b "$ONE" '$TWO' "${TWO}"`, []string{"/bin/echo", "a$ONE", "aoneb", "one", "a", "b", "c", "a  b\tc"}, nil, nil},
		{env3, `/bin/echo $1 ${1} ${} ${ONE ${ONE}x$ONE ${ONE}${ONE} $ONE$ONE ${ONE}$`,
			[]string{"/bin/echo", "", "", "${ONE", "onex$ONE", "oneone", "one$"}, nil, []string{"", "1", "ONE$ONE"}},
		{env3, `/bin/echo ${UNSET:-def} ${ONE:+alt} ${ONE:-def} ${UNSET:+alt} ${THREE:-d} ${ONE:=x} ${ONE-x}`,
			[]string{"/bin/echo", "${UNSET:-def}", "${ONE:+alt}", "${ONE:-def}", "${UNSET:+alt}", "${THREE:-d}", "${ONE:=x}", ""}, nil, []string{"ONE-x"}},
		{env3, `@/bin/echo $ONE x`, []string{"one", "x"}, nil, nil},
		{env3, `@/bin/echo ${ONE} x`, []string{"one", "x"}, nil, nil},
		{env3, `@/bin/echo $TWO x`, []string{"a", "b", "c", "x"}, nil, nil},
		{env3, `/bin/echo $Q`, []string{"/bin/echo", "x y", "z w", `\`, "e f"}, nil, nil},
		{env3, `:/bin/echo $ONE ${ONE} $$ONE`, []string{"/bin/echo", "$ONE", "${ONE}", "$$ONE"}, nil, nil},
		{env3, `/bin/echo $TWO$ONE $UNSET$ONE $MANAGERPID-`, []string{"/bin/echo"}, nil, []string{"MANAGERPID-", "TWO$ONE", "UNSET$ONE"}},
		// Beyond the observed lines: what a ':' leaves alone, and
		// the same unset name counted once.
		{env3, `/bin/echo ${A$$B:x}${ONE} $X ${X}`, []string{"/bin/echo", "${A$$B:x}one", ""}, []string{"X"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.cmd, func(t *testing.T) {
			c, err := ParseCommand(tc.cmd)
			if err != nil {
				t.Fatalf("ParseCommand: %v", err)
			}
			got, unset, bad := c.ExpandEnvReport(tc.env)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if !reflect.DeepEqual(unset, tc.unset) || !reflect.DeepEqual(bad, tc.bad) {
				t.Errorf("unset %q bad %q, want %q and %q", unset, bad, tc.unset, tc.bad)
			}
		})
	}
	// Expansion must not modify the parsed command.
	c, _ := ParseCommand(`/bin/echo $ONE`)
	c.ExpandEnv(env1)
	if c.Argv[1] != "$ONE" {
		t.Errorf("Argv modified: %q", c.Argv)
	}
}

func TestSplitEnvValue(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  \t\n ", nil},
		{"a  b", []string{"a", "b"}},
		{`'' x`, []string{"", "x"}},
		{`a'b c'd`, []string{"ab cd"}},
		{`"a \" b"`, []string{`a " b`}},
		{`'a \' b'`, []string{`a ' b`}},
		{`x "unterminated y`, []string{"x", "unterminated y"}},
		{`a\`, []string{"a"}},
		{`\`, []string{""}},
		{`\n`, []string{"n"}},
	}
	for _, tc := range tests {
		if got := SplitEnvValue(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitEnvValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
