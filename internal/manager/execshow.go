package manager

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// execPropertiesLocked are the Exec*= properties of a service whose last
// invocation ran some of their commands, with each run's times, PID and
// end, as systemctl show prints them (what has not run keeps the
// configuration's n/a fields). Callers hold m.mu.
func execPropertiesLocked(u *Unit) []Property {
	rs := u.run
	if u.svc == nil || rs == nil || len(rs.execs) == 0 {
		return nil
	}
	var out []Property
	for k, cmds := range execLists(u) {
		if !slices.ContainsFunc(rs.execs, func(r execRecord) bool { return r.kind == k }) {
			continue
		}
		for i, c := range cmds {
			j := slices.IndexFunc(rs.execs, func(r execRecord) bool { return r.kind == k && r.index == i })
			var r *execRecord
			if j >= 0 {
				r = &rs.execs[j]
			}
			out = append(out, Property{execKinds[k], formatExecRun(c, r)})
		}
	}
	return out
}

// formatExecRun is one command as show prints it, with r's run if any.
func formatExecRun(c unit.Command, r *execRecord) string {
	start, stop, pid, code, status := "n/a", "n/a", 0, "(null)", "0/0"
	if r != nil {
		start, pid = r.start.Format(timestampLayout), r.p.PID
		if r.p.HasExited() {
			stopped := r.stop
			if stopped.IsZero() {
				stopped = time.Now() // its exit is being recorded right now
			}
			stop = stopped.Format(timestampLayout)
			ws := r.p.Status()
			code, status = "exited", strconv.Itoa(ws.ExitStatus())
			if ws.Signaled() {
				code, status = "killed", exitStatusText("killed", int(ws.Signal()))
				if ws.CoreDump() {
					code = "dumped"
				}
			}
		}
	}
	return fmt.Sprintf("{ path=%s ; argv[]=%s ; ignore_errors=%s ; start_time=[%s] ; stop_time=[%s] ; pid=%d ; code=%s ; status=%s }",
		c.Path, strings.Join(c.Argv, " "), unitconf.FormatBool(c.IgnoreFailure), start, stop, pid, code, status)
}
