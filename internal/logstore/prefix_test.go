package logstore

import "testing"

// The cases follow systemd's syslog_parse_priority without facility.
func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in, msg string
		prio    int
	}{
		{"<3>disk failed", "disk failed", 3},
		{"<03>x", "x", 3},
		{"<007>x", "x", 7},
		{"<0>", "", 0},
		{"<8>x", "<8>x", 6},   // not a level
		{"<13>x", "<13>x", 6}, // a facility is not taken
		{"<0003>x", "<0003>x", 6},
		{"<>x", "<>x", 6},
		{"<a>x", "<a>x", 6},
		{"<3", "<3", 6},
		{"plain <3>", "plain <3>", 6},
		{"", "", 6},
	}
	for _, tt := range tests {
		msg, prio := ParsePrefix(tt.in, 6)
		if msg != tt.msg || prio != tt.prio {
			t.Errorf("ParsePrefix(%q) = %q, %d; want %q, %d", tt.in, msg, prio, tt.msg, tt.prio)
		}
	}
}
