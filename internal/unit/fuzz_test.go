package unit

import (
	"slices"
	"strings"
	"testing"
)

// The fuzz targets check that what a hostile capsule writes into a unit
// file cannot crash the manager that reads it, and that each parser's
// results keep their invariants. CI runs each briefly (make fuzz).

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n",
		"[Service]\nExecStart=/bin/sh -c \\\n  'echo a'\n# c\n; c\n",
		"[A]\nK = v \\\n\\\n",
		"\xef\xbb\xbf[S]\nk=\"quoted\\\"\"\n[\n=\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		file, err := Parse(strings.NewReader(text), "fuzz.service")
		if err != nil {
			return
		}
		lines := strings.Count(text, "\n") + 1
		for _, e := range file.Entries {
			if e.Section == "" || e.Key == "" {
				t.Fatalf("entry without section or key: %+v", e)
			}
			if e.Line < 1 || e.Line > lines {
				t.Fatalf("entry on line %d of a %d-line file: %+v", e.Line, lines, e)
			}
			if strings.ContainsAny(e.Key, "=\n") {
				t.Fatalf("key %q holds '=' or a newline", e.Key)
			}
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"/bin/echo a b", "-@:/bin/sh argv0 -c 'x y'", "+/bin/true", "!!/bin/id", `/bin/echo "a\"b" 'c' \;`,
		"/bin/echo $FOO ${BAR}", "@", "-", "\"unterminated",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c, err := ParseCommand(v)
		if err != nil {
			return
		}
		if c.Path == "" || len(c.Argv) == 0 {
			t.Fatalf("ParseCommand(%q) = %+v: no program or argv", v, c)
		}
		if c.Privileged && c.AmbientOnly {
			t.Fatalf("ParseCommand(%q): '+' and '!' at once", v)
		}
	})
}

func FuzzSplitEnvValue(f *testing.F) {
	for _, s := range []string{"a b\tc\nd", `'a b' "c d" e\ f`, `"x`, `y\`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		words := SplitEnvValue(v)
		total := 0
		for _, w := range words {
			total += len(w)
		}
		// Splitting only removes separators, quotes and backslashes.
		if total > len(v) {
			t.Fatalf("SplitEnvValue(%q) = %q: longer than its input", v, words)
		}
	})
}

func FuzzExpandEnv(f *testing.F) {
	for _, s := range []string{"$A ${A} $$ a$A ${A:-x} ${ ${} $", "${A}${B}$A$B", `$Q "${Q}"`} {
		f.Add(s, "x y", `'a b' "c`)
	}
	f.Fuzz(func(t *testing.T, line, a, q string) {
		c, err := ParseCommand("/bin/x " + line)
		if err != nil {
			return
		}
		env := map[string]string{"A": a, "Q": q}
		argv, _, _ := c.ExpandEnvReport(env)
		// A word without '$' comes through as it is, in its place.
		if len(c.Argv) > 0 && !strings.Contains(c.Argv[0], "$") && (len(argv) == 0 || argv[0] != c.Argv[0]) {
			t.Fatalf("argv[0] %q became %q", c.Argv[0], argv)
		}
		c.NoEnvExpand = true
		if got, _, _ := c.ExpandEnvReport(env); !slices.Equal(got, c.Argv) {
			t.Fatalf("':' changed %q into %q", c.Argv, got)
		}
	})
}
