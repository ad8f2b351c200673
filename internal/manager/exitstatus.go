package manager

import "github.com/capsuled/capsuled/internal/exitstatus"

// exitStatusText is "15/TERM" for a process killed by SIGTERM, "1/FAILURE"
// for exit status 1, as systemd's "Main process exited" lines print them.
func exitStatusText(code string, status int) string { return exitstatus.Text(code, status) }
