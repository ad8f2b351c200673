package manager

import (
	"context"
	"fmt"
	"syscall"

	"github.com/capsuled/capsuled/internal/condition"
)

// runExecConditions runs the ExecCondition= commands of a start, in order,
// as systemd.service(5) describes: exit 0 goes on, 1 to 254 skips the
// unit (it ends inactive, not failed, its ConditionResult= "no"), 255 or a
// signal fails it. skip reports a skip; a failure has ended the
// invocation already and comes back as err.
func (m *Manager) runExecConditions(ctx context.Context, u *Unit, rs *runState) (skip bool, err error) {
	for _, c := range u.svc.ExecCondition {
		saved := rs.stdio
		rs.stdio = nil
		p, err := m.spawn(u, rs, c, false)
		rs.stdio = saved
		if err != nil {
			m.logTaskError(u, err)
			m.finish(u, rs, resultResources)
			return false, fmt.Errorf("start %s: ExecCondition: %w", u.name, err)
		}
		if err := m.waitExit(ctx, p, u.svc.TimeoutStart); err != nil {
			p.Signal(syscall.SIGKILL)
			<-p.Exited()
			m.finish(u, rs, resultTimeout)
			return false, fmt.Errorf("start %s: ExecCondition: %s: %w", u.name, c.Path, err)
		}
		ws := p.Status()
		switch {
		case c.IgnoreFailure || (ws.Exited() && ws.ExitStatus() == 0):
			continue
		case ws.Exited() && ws.ExitStatus() < 255:
			m.mu.Lock()
			u.cond.condTime, u.cond.cond = now(), condition.Outcome{}
			m.mu.Unlock()
			m.logf(u, "%s: Skipped due to 'exec-condition'.", u.name)
			m.logf(u, "%s", condition.Outcome{}.SkipMessage(u.ident()))
			m.finish(u, rs, resultSuccess)
			return true, nil
		}
		code, status, res := "exited", ws.ExitStatus(), resultExitCode
		if ws.Signaled() {
			code, status, res = "killed", int(ws.Signal()), resultSignal
			if ws.CoreDump() {
				code, res = "dumped", resultCoreDump
			}
		}
		m.logAt(u, exitLevel(code), "%s: Condition check process exited, code=%s, status=%s", u.name, code, exitStatusText(code, status))
		m.finish(u, rs, res)
		return false, fmt.Errorf("start %s: ExecCondition: %s: %s", u.name, c.Path, m.describeExit(p))
	}
	return false, nil
}
