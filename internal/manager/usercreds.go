package manager

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/exitstatus"
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

// failCreds ends a start that checkUserCreds refused, with the lines and
// the exit status systemd's failed executor leaves.
func (m *Manager) failCreds(u *Unit, rs *runState, ce *credError, argv0 string) {
	step := exitstatus.Name(ce.status)
	m.logf(u, "%s: %s", u.name, ce.msg)
	m.logf(u, "%s: Failed at step %s spawning %s: %s", u.name, step, argv0, ce.errno)
	m.mu.Lock()
	u.exitCode, u.exitStatus = "exited", ce.status
	m.mu.Unlock()
	m.logf(u, "%s: Main process exited, code=exited, status=%s", u.name, exitStatusText("exited", ce.status))
	m.finish(u, rs, resultExitCode)
}
