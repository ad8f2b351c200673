package manager

import (
	"context"
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"time"

	"github.com/capsuled/capsuled/internal/process"
)

// awaitExec is Type=exec's start phase: the start job waits until the
// main program's execve() succeeded, so a program that is missing or not
// executable, or a working directory that is not there, fails the start
// itself (Result=exit-code, 203/EXEC or 200/CHDIR), as in systemd 257.
// Other types (and spawners that cannot tell) go on at once.
func (m *Manager) awaitExec(ctx context.Context, u *Unit, rs *runState, p *process.Process) error {
	execed := p.Execed()
	if execed == nil {
		return nil
	}
	var timeout <-chan time.Time
	if d := u.svc.TimeoutStart; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case ok := <-execed:
		if ok {
			return nil
		}
		<-p.Exited()
		m.finish(u, rs, m.exitResult(u, p, false))
		return fmt.Errorf("start %s: main process exited before its program ran: %s", u.name, m.describeExit(p))
	case <-timeout:
		m.logAt(u, logstore.PriorityWarning, "%s: start operation timed out. Terminating.", u.name)
		m.killAll(u, rs)
		m.finish(u, rs, resultTimeout)
		return fmt.Errorf("start %s: the program did not run within %s (TimeoutStartSec=)", u.name, u.svc.TimeoutStart)
	case <-ctx.Done():
		// Only a stop job cancels a start; it takes over from here.
		return fmt.Errorf("start %s: canceled by a stop request", u.name)
	}
}
