package process

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseEnvFile: the values systemd 257 gave a service for the same
// file (see the observations of EnvironmentFile=).
func TestParseEnvFile(t *testing.T) {
	tests := []struct {
		name, in string
		env, bad []string
	}{
		{"observed", "# comment\n; also comment\n  A=1\nB = two words  \n" +
			`C="dq \"x\" \$y \n z"` + "\n" + `D='sq \\ $x'` + "\n" + "E=cont\\\ninued\nexport F=exp\nG\nH=a#b ;c\n1BAD=x\nI=\n" +
			"J=\"multi\nline\"\nK=\\x41\nP=file\nL=a\\\n# notcomment\n",
			[]string{"A=1", "B=two words", `C=dq "x" $y \n z`, `D=sq \\ $x`, "E=continued", "H=a#b ;c", "I=", "J=multi\nline", "K=x41", "P=file", "L=a# notcomment"},
			[]string{"export F=exp", "1BAD=x"}},
		// systemd 257 (observed): after a closing quote the value goes
		// on, blanks dropped, so a "# c" there is kept, not a comment.
		{"observed after quotes", "A=\"x y\" # c\nB=plain # c2\nC=\"q\"rest\nD='s q' #x\nE=  spaced  \nK=\"x\" \"y\"\nJ=a\"b c\"d\n",
			[]string{"A=x y# c", "B=plain # c2", "C=qrest", "D=s q#x", "E=spaced", "K=xy", `J=a"b c"d`}, nil},
		{"later wins in place", "A=1\nB=2\nA=3", []string{"A=3", "B=2"}, nil},
		{"no trailing newline, quoted", `A="x y`, []string{"A=x y"}, nil},
		{"quotes mid value", `A=a'b c'd`, []string{"A=a'b c'd"}, nil},
		{"quote then more", `A='x'"y" z`, []string{"A=xyz"}, nil},
		{"comment continuation ends", "# a \\\nB=1\n", []string{"B=1"}, nil},
		{"crlf", "A=1\r\nB=2\r\n", []string{"A=1", "B=2"}, nil},
		{"bad utf8", "A=\xff\n", nil, []string{"A=\xff"}},
		{"empty", "", nil, nil},
	}
	for _, tc := range tests {
		env, bad := ParseEnvFile(tc.in)
		if !reflect.DeepEqual(env, tc.env) || !reflect.DeepEqual(bad, tc.bad) {
			t.Errorf("%s: got %q bad %q, want %q bad %q", tc.name, env, bad, tc.env, tc.bad)
		}
	}
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\n# c\nB = 'x y'\nC=\"a\\\"b\"\\\nD", "export A=1\n1B=2", "A=\\\n\\", "A='\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		env, _ := ParseEnvFile(data)
		seen := map[string]bool{}
		for _, kv := range env {
			name, _, ok := strings.Cut(kv, "=")
			if !ok || !validName(name) || seen[name] {
				t.Fatalf("ParseEnvFile(%q) gave %q", data, env)
			}
			seen[name] = true
		}
	})
}
