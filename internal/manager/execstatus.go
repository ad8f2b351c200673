package manager

import (
	"slices"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/process"
	"github.com/capsuled/capsuled/internal/unit"
)

// ExecRun is a command of a unit's last invocation that has ended, as
// status shows it on a "Process:" line.
type ExecRun struct {
	Kind   string // ExecCondition, ExecStartPre, ExecStart, ...
	Argv   string // the command line as the unit file gives it
	PID    int
	Code   string // exited, killed, dumped
	Status int    // the exit status or the signal's number
}

// execRecord is the newest run of one command of an invocation.
type execRecord struct {
	kind        int // index in execKinds
	index       int // the command's place in its setting
	argv        []string
	p           *process.Process
	start, stop time.Time // stop: once its exit has been seen
}

// execKinds are the command settings in the order systemd lists their
// runs.
var execKinds = []string{"ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPre", "ExecStopPost"}

func execLists(u *Unit) [][]unit.Command {
	if u.sock != nil {
		r := &u.sock.SocketRun
		return [][]unit.Command{nil, r.ExecStartPre, nil, r.ExecStartPost, nil, nil, r.ExecStopPre, r.ExecStopPost}
	}
	svc := u.svc
	return [][]unit.Command{svc.ExecCondition, svc.ExecStartPre, svc.ExecStart, svc.ExecStartPost,
		svc.ExecReload, svc.ExecStop, nil, svc.ExecStopPost}
}

// execSlot finds which setting c is from: the very command value (its
// argv shares the setting's array), so the same line in two settings is
// told apart.
func execSlot(u *Unit, c unit.Command) (kind, index int, ok bool) {
	if u.svc == nil || len(c.Argv) == 0 {
		return 0, 0, false
	}
	for k, l := range execLists(u) {
		for i, x := range l {
			if len(x.Argv) > 0 && &x.Argv[0] == &c.Argv[0] {
				return k, i, true
			}
		}
	}
	return 0, 0, false
}

// noteExec records that c of u's invocation rs runs as p, replacing an
// earlier run of the same command (a reload's or a restart's).
func (m *Manager) noteExec(u *Unit, rs *runState, c unit.Command, p *process.Process) {
	kind, index, ok := execSlot(u, c)
	if !ok {
		return
	}
	r := execRecord{kind: kind, index: index, argv: c.Argv, p: p, start: time.Now()}
	// For show's stop_time; registered before the lock, as it may run
	// at once.
	defer p.AfterExit(func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if i := slices.IndexFunc(rs.execs, func(e execRecord) bool { return e.p == p }); i >= 0 {
			rs.execs[i].stop = time.Now()
		}
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(rs.execs, func(e execRecord) bool { return e.kind == kind && e.index == index })
	if i >= 0 {
		rs.execs[i] = r
		return
	}
	rs.execs = append(rs.execs, r)
}

// execRunsLocked lists the commands of rs that have ended, in systemd's
// order: by setting, then by place in it.
func execRunsLocked(rs *runState) []ExecRun {
	var out []ExecRun
	recs := slices.Clone(rs.execs)
	slices.SortStableFunc(recs, func(a, b execRecord) int {
		if a.kind != b.kind {
			return a.kind - b.kind
		}
		return a.index - b.index
	})
	for _, r := range recs {
		if !r.p.HasExited() {
			continue
		}
		ws := r.p.Status()
		run := ExecRun{Kind: execKinds[r.kind], Argv: strings.Join(r.argv, " "), PID: r.p.PID, Code: "exited", Status: ws.ExitStatus()}
		if ws.Signaled() {
			run.Code, run.Status = "killed", int(ws.Signal())
			if ws.CoreDump() {
				run.Code = "dumped"
			}
		}
		out = append(out, run)
	}
	return out
}
