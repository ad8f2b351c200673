package manager

import (
	"github.com/capsuled/capsuled/internal/exitstatus"
	"github.com/capsuled/capsuled/internal/logstore"
)

// exitStatusText is "15/TERM" for a process killed by SIGTERM, "1/FAILURE"
// for exit status 1, as systemd's "Main process exited" lines print them.
func exitStatusText(code string, status int) string { return exitstatus.Text(code, status) }

// exitLevel is the level of a failed process's "... process exited" line:
// notice for an exit of its own (the process has likely said why),
// warning for a death by signal, as systemd logs them.
func exitLevel(code string) int {
	if code == "exited" {
		return logstore.PriorityNotice
	}
	return logstore.PriorityWarning
}
