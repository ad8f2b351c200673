package unit

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// kv is an Entry without File, to keep the tables short.
type kv struct {
	Section, Key, Value string
	Line                int
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []kv
	}{
		{
			name: "trimming",
			in:   "[Unit]\n  Description =  hello world  \n",
			want: []kv{{"Unit", "Description", "hello world", 2}},
		},
		{
			name: "comments and blank lines",
			in:   "# leading\n; also\n\n[Service]\n  # indented comment\nType=simple\n;Type=forking\n",
			want: []kv{{"Service", "Type", "simple", 6}},
		},
		{
			name: "continuation",
			in:   "[Service]\nExecStart=/bin/echo \\\n  hello \\\n  world\nUser=x\n",
			want: []kv{
				{"Service", "ExecStart", "/bin/echo    hello    world", 2},
				{"Service", "User", "x", 5},
			},
		},
		{
			name: "comments inside continuation are skipped",
			in:   "[Service]\nK=a \\\n# comment\n; other \\\n b\n",
			want: []kv{{"Service", "K", "a   b", 2}},
		},
		{
			name: "comment ending in backslash does not continue",
			in:   "[S]\n# note \\\nK=v\n",
			want: []kv{{"S", "K", "v", 3}},
		},
		{
			name: "escaped backslash at end is literal",
			in:   "[S]\nK=a\\\\\nL=b\n",
			want: []kv{{"S", "K", `a\\`, 2}, {"S", "L", "b", 3}},
		},
		{
			name: "continuation at end of file",
			in:   "[S]\nK=a \\",
			want: []kv{{"S", "K", "a", 2}},
		},
		{
			name: "empty value is kept",
			in:   "[S]\nK=\nK = \n",
			want: []kv{{"S", "K", "", 2}, {"S", "K", "", 3}},
		},
		{
			name: "equals sign in value",
			in:   "[Service]\nEnvironment=A=b C=d\n",
			want: []kv{{"Service", "Environment", "A=b C=d", 2}},
		},
		{
			name: "CRLF and BOM",
			in:   "\ufeff[Unit]\r\nA=1\r\n",
			want: []kv{{"Unit", "A", "1", 2}},
		},
		{
			name: "several sections",
			in:   "[Unit]\nA=1\n[Install]\nWantedBy=multi-user.target\n[Unit]\nB=2",
			want: []kv{{"Unit", "A", "1", 2}, {"Install", "WantedBy", "multi-user.target", 4}, {"Unit", "B", "2", 6}},
		},
		{
			name: "empty file",
			in:   "",
			want: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tc.in), "test.service")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []kv
			for _, e := range f.Entries {
				if e.File != "test.service" {
					t.Errorf("entry file = %q", e.File)
				}
				got = append(got, kv{e.Section, e.Key, e.Value, e.Line})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		line           int
	}{
		{"before section", "A=1\n", "test.service:1: assignment outside of any section", 1},
		{"missing equals", "[S]\nA=1\nbroken line\n", "test.service:3: missing '='", 3},
		{"bad header", "[S]\n[Unclosed\n", "test.service:2: invalid section header", 2},
		{"empty header", "[]\n", "test.service:1: empty section name", 1},
		{"empty key", "[S]\n = v\n", "test.service:2: missing key name", 2},
		{"after continuation", "[S]\nA=1 \\\n  2\nbad\n", "test.service:4:", 4},
		{"bad continued line", "[S]\nbad \\\n  still bad\n", "test.service:2: missing '='", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), "test.service")
			if err == nil {
				t.Fatal("expected error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != tc.line || se.File != "test.service" {
				t.Errorf("error %#v is not a SyntaxError at line %d", err, tc.line)
			}
		})
	}
}
