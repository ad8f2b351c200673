package cli

import "testing"

func TestParseSignal(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"10", 10}, {"USR1", 10}, {"SIGUSR1", 10}, {"usr1", 10}, {"TERM", 15}, {"KILL", 9}, {"HUP", 1},
		{"64", 64}, {"0", 0}, {"65", 0}, {"-9", 0}, {"BOGUS", 0}, {"", 0},
	} {
		got, err := parseSignal(c.in)
		if got != c.want || (c.want == 0) != (err != nil) {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}
