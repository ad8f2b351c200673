package cli

import (
	"os"
	"strings"
	"testing"
)

func TestInCgroup(t *testing.T) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Skip(err)
	}
	own := ""
	for _, l := range strings.Split(string(b), "\n") {
		if cg, ok := strings.CutPrefix(l, "0::"); ok {
			own = cg
		}
	}
	if own == "" {
		t.Skip("no unified cgroup line")
	}
	parent := own[:strings.LastIndex(own, "/")+1]
	for _, tt := range []struct {
		within string
		want   bool
	}{
		{own, true},
		{strings.TrimPrefix(own, "/"), true}, // as a manager without a leading / gives it
		{parent, true},
		{own + "/sub", false},
		{own + "x", false}, // a sibling whose name starts the same
		{"/capsuled-nosuch", own == "/capsuled-nosuch"},
	} {
		if got := inCgroup(os.Getpid(), tt.within); got != tt.want {
			t.Errorf("inCgroup(self, %q) = %v, want %v (own cgroup %s)", tt.within, got, tt.want, own)
		}
	}
}
