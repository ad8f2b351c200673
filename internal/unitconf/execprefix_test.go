package unitconf

import (
	"strings"
	"testing"
)

// The privilege prefixes are acted on: they load without a warning and
// mark the command; '!!' is '!' where ambient capabilities are missing,
// which the executor (not the parser) decides.
func TestExecPrivilegePrefixes(t *testing.T) {
	for _, tt := range []struct {
		line                    string
		privileged, noCreds, nn bool
	}{
		{"ExecStart=+/bin/true", true, false, false},
		{"ExecStartPre=!/bin/true", false, true, false},
		{"ExecStop=!!/bin/true", false, true, true},
		{"ExecStopPost=-+/bin/true", true, false, false},
	} {
		body := "[Service]\n" + tt.line + "\n"
		if !strings.HasPrefix(tt.line, "ExecStart=") {
			body += "ExecStart=/bin/true\n"
		}
		u, w, err := parse(t, "x.service", body)
		if err != nil || len(w) != 0 {
			t.Errorf("%q: warnings %q, error %v", tt.line, w, err)
			continue
		}
		key, _, _ := strings.Cut(tt.line, "=")
		if got := property(t, u, key); !strings.Contains(got, "path=/bin/true ;") {
			t.Errorf("%q: %s=%q, want the command kept", tt.line, key, got)
		}
		s := u.Service
		c := map[string]int{"ExecStart": len(s.ExecStart), "ExecStartPre": len(s.ExecStartPre), "ExecStop": len(s.ExecStop), "ExecStopPost": len(s.ExecStopPost)}
		if c[key] != 1 {
			t.Fatalf("%q: %d commands", tt.line, c[key])
		}
		cmd := map[string]func() (bool, bool, bool){
			"ExecStart":    func() (bool, bool, bool) { x := s.ExecStart[0]; return x.Privileged, x.AmbientOnly, x.AmbientDouble },
			"ExecStartPre": func() (bool, bool, bool) { x := s.ExecStartPre[0]; return x.Privileged, x.AmbientOnly, x.AmbientDouble },
			"ExecStop":     func() (bool, bool, bool) { x := s.ExecStop[0]; return x.Privileged, x.AmbientOnly, x.AmbientDouble },
			"ExecStopPost": func() (bool, bool, bool) { x := s.ExecStopPost[0]; return x.Privileged, x.AmbientOnly, x.AmbientDouble },
		}[key]
		if p, n, nn := cmd(); p != tt.privileged || n != tt.noCreds || nn != tt.nn {
			t.Errorf("%q: '+' %v '!' %v '!!' %v, want %v %v %v", tt.line, p, n, nn, tt.privileged, tt.noCreds, tt.nn)
		}
	}
}
