package manager

import (
	"context"
	"github.com/capsuled/capsuled/internal/logstore"
	"syscall"

	"github.com/capsuled/capsuled/internal/process"
	"github.com/capsuled/capsuled/internal/unit"
)

// canReload reports whether a reload job applies to u (CanReload=): a
// service with ExecReload= or of Type=notify-reload.
func (u *Unit) canReload() bool {
	return u.svc != nil && (len(u.svc.ExecReload) > 0 || u.svc.Type == "notify-reload")
}

// reloadService does a reload job: the unit is reloading while its
// ExecReload= commands run in order, with $MAINPID; then active again in
// the sub-state it had, whatever they did (as in systemd, a failed reload
// leaves the service running), with ReloadResult= telling how they ended.
// A Type=notify-reload service is sent ReloadSignal= first, and the reload
// lasts until it answers RELOADING=1 (with a MONOTONIC_USEC= from after
// the signal) and then READY=1, within TimeoutStartSec=, as in systemd 257.
func (m *Manager) reloadService(u *Unit) {
	m.mu.Lock()
	rs := u.run
	if rs == nil || u.active != stateActive {
		m.mu.Unlock()
		return // the queue let the job run only for an active unit
	}
	sub := u.sub
	u.reloadResult = resultSuccess
	main := rs.main
	var rw *reloadWait
	if u.svc.Type == "notify-reload" && main != nil && !main.HasExited() {
		rw = newReloadWait()
		rs.reload = rw
		u.setState(stateReloading, subReloadSignal)
	} else {
		u.setState(stateReloading, subReload)
	}
	m.mu.Unlock()
	m.logf(u, "Reloading %s...", u.ident())
	res := resultSuccess
	if rw != nil {
		if err := main.Signal(syscall.Signal(u.svc.ReloadSignal)); err != nil {
			m.logAt(u, logstore.PriorityWarning, "%s: Failed to send reload signal: %v", u.name, err)
			res = resultResources
		}
	}
	for _, c := range u.svc.ExecReload {
		if res != resultSuccess {
			break
		}
		res = m.runReloadCommand(u, rs, c)
	}
	if rw != nil && res == resultSuccess {
		res = m.awaitReloaded(u, main, rw)
	}
	m.mu.Lock()
	u.reloadResult = res
	if rs.reload == rw {
		rs.reload = nil
	}
	if u.run == rs && u.active == stateReloading {
		u.setState(stateActive, sub)
	}
	m.mu.Unlock()
	if res == resultSuccess {
		m.logf(u, "Reloaded %s.", u.ident())
	}
}

// runReloadCommand runs one ExecReload= command as the unit's control
// process and returns how it ended as a result.
func (m *Manager) runReloadCommand(u *Unit, rs *runState, c unit.Command) Result {
	saved := rs.stdio
	rs.stdio = nil
	p, err := m.spawn(u, rs, c, false, m.mainPIDEnv(rs)...)
	rs.stdio = saved
	if err != nil {
		m.logTaskError(u, err)
		return resultResources
	}
	defer m.setControl(rs, p)()
	if err := m.waitExit(context.Background(), p, u.svc.TimeoutStart); err != nil {
		m.logAt(u, logstore.PriorityWarning, "%s: Reload operation timed out. Killing reload process.", u.name)
		p.Signal(syscall.SIGKILL)
		<-p.Exited()
		return resultTimeout
	}
	ws := p.Status()
	if c.IgnoreFailure || (ws.Exited() && ws.ExitStatus() == 0) {
		return resultSuccess
	}
	return m.logControlExit(u, p)
}

// logControlExit logs how the failed control process p ended, as
// systemd does, and returns that as a result.
func (m *Manager) logControlExit(u *Unit, p *process.Process) Result {
	ws := p.Status()
	code, status, res := "exited", ws.ExitStatus(), resultExitCode
	if ws.Signaled() {
		code, status, res = "killed", int(ws.Signal()), resultSignal
		if ws.CoreDump() {
			code, res = "dumped", resultCoreDump
		}
	}
	m.logAt(u, exitLevel(code), "%s: Control process exited, code=%s, status=%s", u.name, code, exitStatusText(code, status))
	return res
}
