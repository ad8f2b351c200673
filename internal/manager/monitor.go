package manager

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/capsuled/capsuled/internal/job"
	"golang.org/x/sys/unix"
)

// monitorEnvLocked is what a handler started through OnFailure= or
// OnSuccess= learns about the unit that triggered it (systemd.exec(5),
// "Environment Variables Set or Propagated by the Service Manager"):
// MONITOR_SERVICE_RESULT, MONITOR_EXIT_CODE, MONITOR_EXIT_STATUS,
// MONITOR_INVOCATION_ID and MONITOR_UNIT of the one loaded unit that names
// it. With more than one candidate none is set, as in systemd. Callers
// hold m.mu.
func (m *Manager) monitorEnvLocked(u *Unit) []string {
	var cands []string
	for _, d := range []job.Dependency{job.OnFailureOf, job.OnSuccessOf} {
		for _, n := range m.graph.Deps(u.name, d) {
			if m.units[n] != nil && !slices.Contains(cands, n) {
				cands = append(cands, n)
			}
		}
	}
	switch len(cands) {
	case 0:
		return nil
	case 1:
	default:
		sort.Strings(cands)
		m.logs = append(m.logs, u.name+": multiple trigger source candidates for exit status propagation ("+
			strings.Join(cands, ", ")+"), skipping.")
		return nil
	}
	t := m.units[cands[0]]
	env := []string{"MONITOR_SERVICE_RESULT=" + t.result.String()}
	if t.exitCode != "" {
		status := strconv.Itoa(t.exitStatus)
		if t.exitCode != "exited" {
			if name := unix.SignalName(syscall.Signal(t.exitStatus)); name != "" {
				status = strings.TrimPrefix(name, "SIG")
			}
		}
		env = append(env, "MONITOR_EXIT_CODE="+t.exitCode, "MONITOR_EXIT_STATUS="+status)
	}
	if t.invocation != "" {
		env = append(env, "MONITOR_INVOCATION_ID="+t.invocation)
	}
	return append(env, "MONITOR_UNIT="+t.name)
}
