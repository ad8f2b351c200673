package unitconf

import (
	"strings"
	"testing"
)

// The privilege prefixes are not acted on yet: each use warns, and the
// command stays, run as the rest of the unit.
func TestExecPrivilegePrefixesWarn(t *testing.T) {
	for _, tt := range []struct{ line, warn string }{
		{"ExecStart=+/bin/true", "/u/x.service:2: Command prefix '+' is not supported yet"},
		{"ExecStartPre=!/bin/true", "/u/x.service:2: Command prefix '!' is not supported yet"},
		{"ExecStop=!!/bin/true", "/u/x.service:2: Command prefix '!' is not supported yet"},
	} {
		body := "[Service]\n" + tt.line + "\n"
		if !strings.HasPrefix(tt.line, "ExecStart=") {
			body += "ExecStart=/bin/true\n"
		}
		u, w, err := parse(t, "x.service", body)
		if err != nil {
			t.Errorf("%q: refused: %v", tt.line, err)
			continue
		}
		if len(w) != 1 || !strings.HasPrefix(w[0].String(), tt.warn) {
			t.Errorf("%q: warnings %q, want one starting %q", tt.line, w, tt.warn)
		}
		key, _, _ := strings.Cut(tt.line, "=")
		if got := property(t, u, key); !strings.Contains(got, "/bin/true") {
			t.Errorf("%q: %s=%q, want the command kept", tt.line, key, got)
		}
	}
}
