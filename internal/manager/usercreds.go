package manager

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/exitstatus"
	"github.com/capsuled/capsuled/internal/process"
	"github.com/capsuled/capsuled/internal/unit"
)

// credError is a start step that fails as systemd's executor fails it:
// with an exit status of its own (216/GROUP, 217/USER) and a message.
type credError struct {
	status int
	msg    string
	errno  string // the step's error, as "Failed at step" words it
}

func (e *credError) Error() string { return e.msg }

// checkUserCreds refuses User= and Group= of another user in a user
// manager. It cannot change credentials, so systemd's executor fails the
// command there (its setresgid() is refused: 216/GROUP; an unknown name:
// 217/USER or 216/GROUP); running it as the manager's own user instead
// would make show's User= a lie.
func (m *Manager) checkUserCreds(svc *serviceConfig) error {
	if m.cfg.Mode != User {
		return nil
	}
	uid, gid := os.Getuid(), os.Getgid()
	if svc.User != "" {
		id, err := m.resolveID(svc.User, "passwd")
		if err != nil {
			return &credError{217, fmt.Sprintf("Failed to determine credentials for user '%s': No such user", svc.User), "Invalid argument"}
		}
		if id != uid {
			return &credError{216, "Changing group credentials failed: Operation not permitted", "Operation not permitted"}
		}
	}
	if len(svc.SupplementaryGroups) > 0 {
		// The user manager cannot call setgroups(), whatever the groups.
		return &credError{216, "Changing group credentials failed: Operation not permitted", "Operation not permitted"}
	}
	if svc.Group != "" {
		id, err := m.resolveID(svc.Group, "group")
		if err != nil {
			return &credError{216, fmt.Sprintf("Failed to determine credentials for group '%s': No such group", svc.Group), "Invalid argument"}
		}
		if id != gid {
			return &credError{216, "Changing group credentials failed: Operation not permitted", "Operation not permitted"}
		}
	}
	return nil
}

// resolveID returns the numeric ID of a user or group name (or number)
// through NSS, as any program in the capsule would see it.
func (m *Manager) resolveID(name, db string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	out, err := m.cfg.Spawner.Output("getent", db, "--", name)
	if err != nil {
		return 0, fmt.Errorf("no such entry %q in %s", name, db)
	}
	f := strings.Split(strings.TrimSpace(string(out)), ":")
	if len(f) < 3 {
		return 0, fmt.Errorf("malformed %s entry for %q", db, name)
	}
	return strconv.Atoi(f[2])
}

// failCreds ends a start whose credentials were refused, with the lines
// and the exit status systemd's failed executor leaves. As systemd's, the
// failure is a process of its own, so status shows its PID; where it
// cannot be started (no cgroup yet), the manager writes its lines.
func (m *Manager) failCreds(u *Unit, rs *runState, ce *credError, argv0 string) {
	lines := ce.lines(u.name, argv0)
	cmd, isMain := failingCommand(u.svc, argv0)
	p := m.spawnFailure(u, rs, argv0, ce.status, lines)
	if p != nil {
		<-p.Exited()
	}
	if p == nil {
		for _, l := range lines {
			m.logf(u, "%s", l)
		}
	} else if cmd != nil {
		m.noteExec(u, rs, *cmd, p)
	}
	word := "Control"
	m.mu.Lock()
	if isMain {
		word = "Main"
		u.exitCode, u.exitStatus = "exited", ce.status
		if p != nil {
			rs.main = p
		}
	}
	m.mu.Unlock()
	if !isMain || p == nil { // finish logs a main process's end
		m.logf(u, "%s: %s process exited, code=exited, status=%s", u.name, word, exitStatusText("exited", ce.status))
	}
	m.finish(u, rs, resultExitCode)
}

// failingCommand is the command of svc a refused start fails at (the
// first to run, program argv0), and whether it is the main one.
func failingCommand(svc *serviceConfig, argv0 string) (*unit.Command, bool) {
	for i, l := range [][]unit.Command{svc.ExecCondition, svc.ExecStartPre, svc.ExecStart} {
		for j := range l {
			if l[j].Path == argv0 {
				return &l[j], i == 2
			}
		}
	}
	return nil, true
}

// spawnFailure starts the process that fails the step with status,
// writing lines to the unit's log, in the invocation's cgroup; nil if it
// could not be started.
func (m *Manager) spawnFailure(u *Unit, rs *runState, argv0 string, status int, lines []string) *process.Process {
	if m.cfg.Exe == "" {
		return nil
	}
	if rs.procGroup == "" {
		// The system manager resolves credentials before it makes the
		// invocation's cgroup; the failing process gets it all the same,
		// and the invocation's end removes it.
		cg := m.cgroupPath(u)
		if err := m.cfg.Cgroups.Create(cg); err != nil {
			return nil
		}
		m.mu.Lock()
		rs.cgroup, rs.procGroup = cg, cg
		m.mu.Unlock()
	}
	ident := "(" + filepath.Base(argv0) + ")"
	spec := &process.Spec{Path: m.cfg.Exe, Argv: append([]string{m.cfg.Exe, executor.FailArg, strconv.Itoa(status)}, lines...),
		Dir: "/", Cgroup: m.cfg.Cgroups.Path(rs.procGroup),
		Output: func(pid int, s []string) { m.unitLog(u, rs.invocation, pid, ident, s) }}
	p, err := m.cfg.Spawner.Spawn(spec)
	if err != nil {
		return nil
	}
	return p
}

// startFailingMain starts a simple or idle service whose main command's
// credentials were refused as systemd does: the start succeeds, as it
// does once the main process is forked, and the process then fails with
// the step's status, which ends the unit as any main process's exit
// (Restart= included). False if the failure process could not be started.
func (m *Manager) startFailingMain(u *Unit, rs *runState, ce *credError, argv0 string) (bool, error) {
	cmd, isMain := failingCommand(u.svc, argv0)
	if !isMain || cmd == nil || (u.svc.Type != "simple" && u.svc.Type != "idle") {
		return false, nil
	}
	lines := ce.lines(u.name, argv0)
	p := m.spawnFailure(u, rs, argv0, ce.status, lines)
	if p == nil {
		return false, nil
	}
	m.noteExec(u, rs, *cmd, p)
	m.mu.Lock()
	rs.main = p
	u.stamps.mainStarted()
	m.mu.Unlock()
	p.AfterExit(func() { m.watchMain(u, rs, p) })
	return true, m.enterRunning(u, rs, false)
}

// lines are what systemd's executor logs for the refused step.
func (ce *credError) lines(unit, argv0 string) []string {
	return []string{unit + ": " + ce.msg,
		fmt.Sprintf("%s: Failed at step %s spawning %s: %s", unit, exitstatus.Name(ce.status), argv0, ce.errno)}
}
