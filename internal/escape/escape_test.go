package escape

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "plain text", "plain text"},
		{"tab kept", "a\tb", "a\tb"},
		{"newline", "a\nb", `a\x0ab`},
		{"CSI via ESC", "\x1b[2J", `\x1b[2J`},
		{"OSC title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"DEL", "a\x7f", `a\u007f`},
		{"raw C1 byte CSI", "x\x9b31m", `x\x9b31m`},
		{"raw C1 bytes", "\x80\x9f", `\x80\x9f`},
		{"C1 character CSI", "x\u009b31m", `x\u009b31m`},
		{"C1 character first", "\u0080", `\u0080`},
		{"C1 character last", "\u009f", `\u009f`},
		{"NBSP kept", "a\u00a0b", "a\u00a0b"},
		{"umlaut kept", "ümlaut", "ümlaut"},
		{"RLO", "abc\u202etxt.exe", `abc\u202etxt.exe`},
		{"LRE..RLO", "\u202a\u202b\u202c\u202d", `\u202a\u202b\u202c\u202d`},
		{"isolates", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"separators", "\u2028\u2029", `\u2028\u2029`},
		{"invalid UTF-8", "\xff\xfe", `\xff\xfe`},
		{"truncated sequence", "a\xe2\x80", `a\xe2\x80`},
		{"emoji kept", "ok 😀", "ok 😀"},
		{"zero-width joiner kept", "a\u200db", "a\u200db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLinesKeepsNewlines(t *testing.T) {
	if got, want := Lines("a\nb\x1b\n"), "a\nb\\x1b\n"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

func TestWriterKeepsJSONValid(t *testing.T) {
	var b bytes.Buffer
	v := map[string]string{"name": "x\u009b\u202e\x7f\x1b\u2066y", "invalid": "\x9b"}
	if err := json.NewEncoder(NewWriter(&b)).Encode(v); err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("escaped JSON %q is not valid: %v", b.String(), err)
	}
	if back["name"] != v["name"] {
		t.Errorf("round trip gave %q, want %q", back["name"], v["name"])
	}
	for _, c := range []string{"\u009b", "\u202e", "\x7f", "\x1b", "\u2066", "\x9b"} {
		if bytes.Contains(b.Bytes(), []byte(c)) {
			t.Errorf("output %q carries %q raw", b.String(), c)
		}
	}
}
