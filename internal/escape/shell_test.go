package escape

import "testing"

// TestShellQuote: systemctl 257's show-environment (posix) and show
// (Environment=) output for the same values.
func TestShellQuote(t *testing.T) {
	tests := []struct{ in, posix, plain string }{
		{"plain", "plain", "plain"},
		{"", "", ""},
		{"unix:path=/run/x/bus", "unix:path=/run/x/bus", "unix:path=/run/x/bus"},
		{"a b", `$'a b'`, `"a b"`},
		{"it's", `$'it\'s'`, `"it's"`},
		{"a\nb", `$'a\nb'`, `"a\nb"`},
		{"$x", `$'$x'`, `"\$x"`},
		{`a\b`, `$'a\\b'`, `"a\\b"`},
		{"a\tb", `$'a\tb'`, `"a\tb"`},
		{"café", "café", "café"},
		{"a*b", `$'a*b'`, `"a*b"`},
		{"a;b", `$'a;b'`, `"a;b"`},
		{`a"b`, `$'a"b'`, `"a\"b"`},
		{"a\x01\xffb", `$'a\001\377b'`, `"a\001\377b"`},
	}
	for _, tc := range tests {
		if got := ShellQuote(tc.in, true); got != tc.posix {
			t.Errorf("ShellQuote(%q, posix) = %s, want %s", tc.in, got, tc.posix)
		}
		if got := ShellQuote(tc.in, false); got != tc.plain {
			t.Errorf("ShellQuote(%q) = %s, want %s", tc.in, got, tc.plain)
		}
	}
}
