package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestOneshotExecStartPost: ExecStartPost= runs after the last ExecStart=
// of a oneshot without RemainAfterExit=, then the unit goes inactive, in
// the order systemd 257 logs: main, post, "Deactivated successfully.",
// "Finished". In the system manager and in a capsule, whose manager, as
// systemd 257's user manager at its default log level, does not log
// "Deactivated successfully." (observed).
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
		// The commands' output reaches the log from their pipe, apart
		// from the manager's own lines (as in systemd, where journald
		// reads it): each kind keeps its order, not the two together.
		outputs := regexp.MustCompile(`(?s)main1\n.*POST1\n.*POST2\n`)
		manager := regexp.MustCompile(`(?s): Deactivated successfully\.\n.*Finished ` + regexp.QuoteMeta(unit))
		if where != nil {
			manager = regexp.MustCompile(`Finished ` + regexp.QuoteMeta(unit))
		}
		var logs string
		waitFor(5*time.Second, func() bool {
			logs = ctl(t, 0, append(append([]string{}, where...), "logs", "-u", unit, "-o", "cat")...).stdout
			return outputs.MatchString(logs) && manager.MatchString(logs)
		})
		if where != nil && strings.Contains(logs, "Deactivated successfully") {
			t.Errorf("%v: a capsule's manager logged \"Deactivated successfully.\":\n%s", where, logs)
		}
		if !outputs.MatchString(logs) || !manager.MatchString(logs) {
			t.Errorf("%v: log lacks main1, POST1, POST2 in that order, or Deactivated before Finished:\n%s", where, logs)
		}
	}
}
