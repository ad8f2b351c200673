package e2e

import (
	"regexp"
	"testing"
)

// TestOneshotExecStartPost: ExecStartPost= runs after the last ExecStart=
// of a oneshot without RemainAfterExit=, then the unit goes inactive, in
// the order systemd 257 logs: main, post, "Deactivated successfully.",
// "Finished". In the system manager and in a capsule.
func TestOneshotExecStartPost(t *testing.T) {
	c := startCapsule(t, "osp")
	for _, where := range [][]string{nil, {"-C", c}} {
		unit := "faosp.service"
		args := append(append([]string{}, where...), "run", "-q", "-u", unit, "-p", "Type=oneshot",
			"-p", "ExecStartPost=/bin/echo POST1", "-p", "ExecStartPost=/bin/echo POST2", "/bin/echo", "main1")
		ctl(t, 0, args...)
		show := ctl(t, 0, append(append([]string{}, where...), "show", "-p", "ActiveState,SubState,Result", unit)...).stdout
		if want := "Result=success\nActiveState=inactive\nSubState=dead\n"; show != want {
			t.Errorf("%v: show after the start: %q, want %q", where, show, want)
		}
		logs := ctl(t, 0, append(append([]string{}, where...), "logs", "-u", unit, "-o", "cat")...).stdout
		order := regexp.MustCompile(`(?s)main1\n.*POST1\n.*POST2\n.*: Deactivated successfully\.\n.*Finished ` + regexp.QuoteMeta(unit))
		if !order.MatchString(logs) {
			t.Errorf("%v: log lacks main1, POST1, POST2, Deactivated, Finished in that order:\n%s", where, logs)
		}
	}
}
