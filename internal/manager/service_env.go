package manager

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The variables systemd sets for one exec phase of a service, on top of
// the unit's environment (systemd.exec(5), "Environment Variables in
// Spawned Processes").

// managerEnv is what every process of a user manager gets: MANAGERPID,
// its own PID (systemd's system manager sets none).
func (m *Manager) managerEnv() []string {
	if m.cfg.Mode != User {
		return nil
	}
	return []string{"MANAGERPID=" + strconv.Itoa(os.Getpid())}
}

// mainPIDEnv is $MAINPID of ExecStartPost=, ExecReload= and ExecStop=:
// the main process while it runs, nothing once it has ended (a oneshot's).
func (m *Manager) mainPIDEnv(rs *runState) []string {
	m.mu.Lock()
	p := rs.main
	m.mu.Unlock()
	if p == nil || p.HasExited() {
		return nil
	}
	return []string{"MAINPID=" + strconv.Itoa(p.PID)}
}

// stopEnv is the environment of ExecStop= (post false) and ExecStopPost=
// (post true): the result so far, how the main process ended if it has,
// and for ExecStop= the main PID while it runs.
func (m *Manager) stopEnv(rs *runState, result Result, post bool) []string {
	env := []string{"SERVICE_RESULT=" + result.String()}
	if !post {
		env = append(env, m.mainPIDEnv(rs)...)
	}
	m.mu.Lock()
	p := rs.main
	m.mu.Unlock()
	if p != nil && p.HasExited() {
		env = append(env, exitEnv(p.Status())...)
	}
	return env
}

// exitEnv is EXIT_CODE and EXIT_STATUS for a process that ended with ws:
// "exited" and the status, or "killed"/"dumped" and the signal's name
// without SIG, as systemd sets them.
func exitEnv(ws syscall.WaitStatus) []string {
	switch {
	case ws.Exited():
		return []string{"EXIT_CODE=exited", "EXIT_STATUS=" + strconv.Itoa(ws.ExitStatus())}
	case ws.Signaled():
		code := "killed"
		if ws.CoreDump() {
			code = "dumped"
		}
		return []string{"EXIT_CODE=" + code, "EXIT_STATUS=" + strings.TrimPrefix(unix.SignalName(ws.Signal()), "SIG")}
	}
	return nil
}

// resultOf is u's result so far.
func (m *Manager) resultOf(u *Unit) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return u.result
}
