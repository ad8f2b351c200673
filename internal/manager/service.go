package manager

import (
	"context"
	"errors"
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/capsuled/capsuled/internal/dynuser"
	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/process"
	"github.com/capsuled/capsuled/internal/unit"
)

// runState is one invocation of a service, from start to its end.
type runState struct {
	invocation string
	cgroup     string // unit cgroup, relative to the hierarchy root
	procGroup  string // where processes go (DelegateSubgroup)
	user       *dynuser.User
	uid, gid   int
	userName   string
	groups     []int // supplementary groups (system manager), the primary first
	binds      []executor.Bind
	dirEnv     []string
	runtime    []string // runtime directories to remove at the end
	v1         []v1Member
	notify     *unitNotify // the invocation's own notify socket, if any
	ipc        ipcNamespace
	net        ipcNamespace // PrivateNetwork='s, made before the first process
	stdio      *stdioSpec
	listen     []*os.File // sockets from a socket unit, passed at fd 3+
	fdNames    []string
	collect    bool
	extraEnv   []string
	// cpuNSec is the CPU time the invocation's cgroup used, read when
	// it is removed (-1: not known); guarded by Manager.mu.
	cpuNSec int64

	main      *process.Process
	ready     chan struct{}
	readyOnce sync.Once
	done      chan struct{} // closed when the invocation has ended
	endOnce   sync.Once
	stopping  bool             // guarded by Manager.mu
	control   *process.Process // the running ExecStartPre=, ExecStop=... command; guarded by Manager.mu
	execs     []execRecord     // the commands run, for status; guarded by Manager.mu
	reload    *reloadWait      // a notify-reload service's reload under way; guarded by Manager.mu
	timers    runTimers
}

// stdioSpec overrides where a transient service's stdio goes.
type stdioSpec struct {
	files []*os.File // stdin, stdout, stderr
	tty   string
}

// markReady is called for READY=1.
func (rs *runState) markReady() { rs.readyOnce.Do(func() { close(rs.ready) }) }

func (m *Manager) startService(ctx context.Context, u *Unit) error {
	svc := u.svc
	rs := &runState{invocation: newInvocationID(), ready: make(chan struct{}), done: make(chan struct{})}
	m.mu.Lock()
	if old := u.run; old != nil && old.main != nil && !isClosed(old.done) {
		m.mu.Unlock()
		return fmt.Errorf("start %s: %w: its previous invocation is still ending", u.name, errBusy)
	}
	u.cancelRestart() // a start by hand supersedes a pending restart
	u.restarts.starting()
	if u.run != nil && u.run.stdio != nil && u.run.main == nil {
		// A transient unit's stdio and options were attached before start.
		rs.stdio, rs.collect, rs.extraEnv = u.run.stdio, u.run.collect, u.run.extraEnv
	}
	rs.listen, rs.fdNames = u.pendingListen, u.pendingNames
	u.pendingListen, u.pendingNames = nil, nil
	if rs.listen == nil {
		// The listening sockets of the socket units that trigger u.
		rs.listen, rs.fdNames = m.serviceListenersLocked(u)
		defer closeFiles(rs.listen)
	}
	rs.extraEnv = slices.Concat(rs.extraEnv, m.monitorEnvLocked(u), u.activationEnv)
	u.run = rs
	u.invocation = rs.invocation
	u.logInvoc.Store(&rs.invocation)
	u.result, u.exitCode, u.exitStatus, u.statusText = resultSuccess, "", 0, ""
	u.setState(stateActivating, subStart)
	m.mu.Unlock()
	if startsSlowly(svc) {
		m.logf(u, "Starting %s...", u.ident())
	}

	release := m.throttle()
	err := m.prepare(u, rs)
	release()
	var ce *credError
	if errors.As(err, &ce) && len(svc.ExecStart)+len(svc.ExecStartPre) > 0 {
		argv0 := slices.Concat(svc.ExecStartPre, svc.ExecStart)[0].Path
		if started, err := m.startFailingMain(u, rs, ce, argv0); started {
			return err
		}
		m.failCreds(u, rs, ce, argv0)
		m.closeStdio(rs)
		return fmt.Errorf("start %s: User=%s Group=%s SupplementaryGroups=%s: %s", u.name, svc.User, svc.Group,
			strings.Join(svc.SupplementaryGroups, " "), ce.msg)
	}
	if err != nil {
		m.logTaskError(u, err)
		m.finish(u, rs, resultResources)
		m.closeStdio(rs)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	if cmds := slices.Concat(svc.ExecCondition, svc.ExecStartPre, svc.ExecStart); len(cmds) > 0 {
		var ce *credError
		if errors.As(m.checkUserCreds(svc), &ce) {
			if started, err := m.startFailingMain(u, rs, ce, cmds[0].Path); started {
				return err
			}
			m.failCreds(u, rs, ce, cmds[0].Path)
			m.closeStdio(rs)
			return fmt.Errorf("start %s: %s (the user manager runs units only as its own user)", u.name, ce.msg)
		}
	}
	if skip, err := m.runExecConditions(ctx, u, rs); skip || err != nil {
		m.closeStdio(rs)
		return err
	}
	for _, c := range svc.ExecStartPre {
		if err := m.runHelper(ctx, u, rs, c, svc.TimeoutStart); err != nil {
			m.finish(u, rs, resultExitCode)
			m.closeStdio(rs)
			return fmt.Errorf("start %s: ExecStartPre: %w", u.name, err)
		}
	}
	if len(svc.ExecStart) == 0 {
		m.closeStdio(rs)
		return m.enterRunning(u, rs, svc.RemainAfterExit)
	}
	if svc.Type == "forking" {
		return m.startForking(ctx, u, rs)
	}
	if svc.Type == "oneshot" {
		// Every ExecStart= of a oneshot runs to completion, in order.
		for i, c := range svc.ExecStart {
			p, err := m.spawn(u, rs, c, i == len(svc.ExecStart)-1)
			if err != nil {
				m.logTaskError(u, err)
				m.finish(u, rs, resultResources)
				return fmt.Errorf("start %s: %w", u.name, err)
			}
			m.mu.Lock()
			rs.main = p
			u.stamps.mainStarted()
			m.mu.Unlock()
			if err := m.waitExit(ctx, p, svc.TimeoutStart); err != nil {
				if ctx.Err() != nil && m.stopTakesOver(u) {
					// The stop job kills the command; how it ends is the
					// unit's result (SIGTERM fails a oneshot: 'signal').
					return fmt.Errorf("start %s: canceled by a stop request", u.name)
				}
				if ctx.Err() == nil {
					m.logAt(u, logstore.PriorityWarning, "%s: start operation timed out. Terminating.", u.name)
					m.endMaybeRestart(u, rs, resultTimeout)
					return fmt.Errorf("start %s: %w", u.name, err)
				}
				// The job alone was canceled: the start ends with it.
				m.killAll(u, rs)
				m.finish(u, rs, m.exitResult(u, p, true))
				return fmt.Errorf("start %s: %w", u.name, err)
			}
			if res := m.exitResult(u, p, false); res != resultSuccess && !c.IgnoreFailure {
				m.endMaybeRestart(u, rs, res)
				return fmt.Errorf("start %s: %s", u.name, m.describeExit(p))
			}
		}
		if !svc.RemainAfterExit {
			// ExecStartPost= follows the last ExecStart= even when the
			// oneshot then goes inactive at once, as in systemd.
			if err := m.runStartPost(u, rs); err != nil {
				return err
			}
			m.finish(u, rs, resultSuccess)
			m.logf(u, "Finished %s.", u.ident())
			return nil
		}
		return m.enterRunning(u, rs, true)
	}
	// Type=dbus waits for its bus name as Type=notify waits for READY=1.
	dbus := svc.Type == "dbus"
	notify := svc.Type == "notify" || svc.Type == "notify-reload" || dbus
	if dbus {
		if _, err := m.busReadyNow(u); err != nil {
			m.logAt(u, logstore.PriorityErr, "%s", cleanMessage(err))
			m.finish(u, rs, resultResources)
			return err
		}
	}
	var timeout <-chan time.Time
	if notify && svc.TimeoutStart > 0 {
		// Armed before the spawn, as systemd arms it before it forks: an
		// EXTEND_TIMEOUT_USEC= the process sends at once finds it.
		t := m.notifyStartTimer(rs, svc.TimeoutStart)
		defer t.Stop()
		timeout = t.C
	}
	p, err := m.spawn(u, rs, svc.ExecStart[0], true)
	if err != nil {
		m.logTaskError(u, err)
		m.finish(u, rs, resultResources)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	m.mu.Lock()
	rs.main = p
	u.stamps.mainStarted()
	m.mu.Unlock()
	p.AfterExit(func() { m.watchMain(u, rs, p) })
	if err := m.awaitExec(ctx, u, rs, p); err != nil {
		return err
	}
	if dbus {
		if owned, _ := m.busReadyNow(u); owned {
			rs.markReady()
		}
	}
	if notify {
		select {
		case <-rs.ready:
		case <-p.Exited():
			res := m.exitResult(u, p, false)
			if res == resultSuccess && dbus {
				// As systemd 257 (observed): the start succeeds, and
				// the ended main process then makes it inactive.
				return m.enterRunning(u, rs, false)
			}
			if res == resultSuccess {
				res = resultProtocol
			}
			m.finish(u, rs, res)
			return fmt.Errorf("start %s: main process exited before it was ready: %s", u.name, m.describeExit(p))
		case <-timeout:
			m.logAt(u, logstore.PriorityWarning, "%s: start operation timed out. Terminating.", u.name)
			m.killAll(u, rs)
			m.finish(u, rs, resultTimeout)
			return fmt.Errorf("start %s: not ready after %s (TimeoutStartSec=)", u.name, svc.TimeoutStart)
		case <-ctx.Done():
			// Only a stop job cancels a start; it takes over from here
			// and stops the half-started unit the normal way.
			return fmt.Errorf("start %s: canceled by a stop request", u.name)
		}
	}
	return m.enterRunning(u, rs, false)
}

// runStartPost runs the ExecStartPost= commands in order; a failing one
// fails the start.
func (m *Manager) runStartPost(u *Unit, rs *runState) error {
	if len(u.svc.ExecStartPost) > 0 {
		m.mu.Lock()
		if u.active == stateActivating {
			u.setState(stateActivating, subStartPost)
		}
		m.mu.Unlock()
	}
	for _, c := range u.svc.ExecStartPost {
		if err := m.runHelper(context.Background(), u, rs, c, u.svc.TimeoutStart, m.mainPIDEnv(rs)...); err != nil {
			m.killAll(u, rs)
			m.finish(u, rs, resultExitCode)
			return fmt.Errorf("start %s: ExecStartPost: %w", u.name, err)
		}
	}
	return nil
}

func (m *Manager) enterRunning(u *Unit, rs *runState, exited bool) error {
	if err := m.runStartPost(u, rs); err != nil {
		return err
	}
	m.mu.Lock()
	if u.active == stateActivating {
		if exited {
			u.setState(stateActive, subExited)
		} else {
			u.setState(stateActive, subRunning)
		}
	}
	m.mu.Unlock()
	if !exited {
		m.armRunTimers(u, rs)
	}
	if u.svc.Type == "oneshot" {
		m.logf(u, "Finished %s.", u.ident())
	} else {
		m.logf(u, "Started %s.", u.ident())
	}
	return nil
}

// settleResult records how an invocation ended: inactive after success,
// failed otherwise.
func (m *Manager) settleResult(u *Unit, result Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u.result = result
	if result == resultSuccess {
		u.setState(stateInactive, subDead)
	} else {
		u.setState(stateFailed, subFailed)
	}
}

// startsSlowly reports whether a start of svc has a phase in which its
// job waits (a helper command, a oneshot's run, readiness); systemd logs
// "Starting ..." only then, as a simple service is started at once.
func startsSlowly(svc *serviceConfig) bool {
	if len(svc.ExecCondition) > 0 || len(svc.ExecStartPre) > 0 || len(svc.ExecStartPost) > 0 {
		return true
	}
	return len(svc.ExecStart) > 0 && svc.Type != "simple" && svc.Type != "idle"
}

// watchMain finishes the unit when its main process ends by itself.
func (m *Manager) watchMain(u *Unit, rs *runState, p *process.Process) {
	m.mu.Lock()
	stopping := rs.stopping || rs.timers.ending
	m.mu.Unlock()
	if stopping {
		return // the stop job (or the timer that ends it) finishes the unit
	}
	done, err := m.beginJob(context.Background(), u, false)
	if err != nil || done == nil {
		return
	}
	defer m.endJob(u, done)
	res := m.exitResult(u, p, false)
	m.mu.Lock()
	current := u.run == rs
	// RemainAfterExit= keeps a cleanly ended service active (exited), as
	// systemd does; what it left in its cgroup stays until the stop.
	remain := current && res == resultSuccess && u.svc.RemainAfterExit && u.active == stateActive
	switch {
	case remain:
		u.setState(stateActive, subExited)
	case current:
		u.setState(stateDeactivating, subStopSigterm)
	}
	m.mu.Unlock()
	if !current || remain {
		return
	}
	m.killAll(u, rs)
	m.endMaybeRestart(u, rs, res)
}

func (m *Manager) stopService(ctx context.Context, u *Unit) {
	m.mu.Lock()
	rs := u.run
	if u.cancelRestart() {
		// Waiting to restart: nothing runs, so stopping just ends the wait.
		u.setState(stateInactive, subDead)
		m.mu.Unlock()
		m.logf(u, "Stopped %s.", u.ident())
		return
	}
	if rs == nil {
		u.setState(stateInactive, subDead)
		m.mu.Unlock()
		return
	}
	rs.stopping = true
	// A unit still starting goes straight to its kill signal, without
	// ExecStop= and without a "Stopping" line, as systemd's does.
	starting := u.active == stateActivating
	u.setState(stateDeactivating, subStopSigterm)
	p := rs.main
	m.mu.Unlock()
	svc := u.svc
	var stops []unit.Command
	if !starting {
		m.logf(u, "Stopping %s...", u.ident())
		stops = svc.ExecStop
	}
	for _, c := range stops {
		if err := m.runHelper(ctx, u, rs, c, svc.TimeoutStop, m.stopEnv(rs, m.resultOf(u), false)...); err != nil {
			m.logf(u, "%s: ExecStop: %v", u.name, err)
		}
	}
	result := resultSuccess
	if p != nil && !p.HasExited() && m.signalStop(ctx, u, rs, p, m.stopSignal(u), svc.TimeoutStop, "stop-sigterm") {
		result = resultTimeout
	}
	if p != nil && p.HasExited() && result == resultSuccess {
		result = m.exitResult(u, p, true)
	}
	m.killAll(u, rs)
	m.finish(u, rs, result)
}

func (m *Manager) waitExit(ctx context.Context, p *process.Process, timeout time.Duration) error {
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-p.Exited():
		return nil
	case <-tc:
		return fmt.Errorf("%w after %s", errTimedOut, timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exitResult maps how p ended to a unit result. A signal we sent while
// stopping, or one of the signals a clean shutdown uses, is success.
func (m *Manager) exitResult(u *Unit, p *process.Process, stopping bool) Result {
	ws := p.Status()
	code, status := "exited", ws.ExitStatus()
	if ws.Signaled() {
		code, status = "killed", int(ws.Signal())
		if ws.CoreDump() {
			code = "dumped"
		}
	}
	m.mu.Lock()
	if u.run != nil && u.run.main == p {
		u.exitCode, u.exitStatus = code, status
		u.stamps.mainExit = now()
	}
	m.mu.Unlock()
	switch {
	case ws.Exited() && status == 0, u.svc.SuccessExitStatus.Has(code, status):
		return resultSuccess
	case ws.Exited():
		return resultExitCode
	}
	switch ws.Signal() {
	case syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE:
		// Clean for a daemon; a oneshot is a command that must exit 0
		// (systemd's EXIT_CLEAN_COMMAND).
		if u.svc.Type != "oneshot" {
			return resultSuccess
		}
	case syscall.SIGKILL:
		if stopping {
			return resultSuccess
		}
	}
	if ws.CoreDump() {
		return resultCoreDump
	}
	return resultSignal
}

func (m *Manager) describeExit(p *process.Process) string {
	ws := p.Status()
	if ws.Signaled() {
		return fmt.Sprintf("killed by signal %s", ws.Signal())
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}

// finish tears an invocation down and records the result. It runs once.
func (m *Manager) finish(u *Unit, rs *runState, result Result) {
	rs.endOnce.Do(func() {
		m.mu.Lock()
		rs.timers.stop()
		m.mu.Unlock()
		// Whatever path ended the invocation, nothing of it may outlive
		// the release of its user below.
		m.killAll(u, rs)
		m.awaitMainStatus(rs)
		for _, c := range u.svc.ExecStopPost {
			if err := m.runHelper(context.Background(), u, rs, c, u.svc.TimeoutStop, m.stopEnv(rs, result, true)...); err != nil {
				m.logf(u, "%s: ExecStopPost: %v", u.name, err)
			}
		}
		m.release(u, rs)
		// The lines come before the state change, which ends a start
		// job with its "Failed to start" line, as in systemd.
		if result == resultSuccess {
			// systemd's user manager logs this line at debug level, which
			// its default level (info) leaves out (observed in 257).
			if rs.main != nil && !rs.stopping && m.cfg.Mode == System {
				m.logf(u, "%s: Deactivated successfully.", u.name)
			}
		} else {
			if rs.main != nil && rs.main.HasExited() {
				if u.exitCode == "" {
					m.exitResult(u, rs.main, false) // records how it ended
				}
				m.logAt(u, exitLevel(u.exitCode), "%s: Main process exited, code=%s, status=%s", u.name, u.exitCode,
					exitStatusText(u.exitCode, u.exitStatus))
			}
			m.logAt(u, logstore.PriorityWarning, "%s: Failed with result '%s'.", u.name, result)
		}
		m.settleResult(u, result)
		if rs.stopping {
			m.logf(u, "Stopped %s.", u.ident())
		}
		close(rs.done)
	})
}

// awaitMainStatus waits until the exit of rs's main process, which
// killAll has seen leave its cgroup, is also collected: the process's
// waiter may lag the cgroup's emptiness, and the result's "Main process
// exited" line, ExecMainCode= and ExecStopPost='s $EXIT_CODE need it.
// It gives up after the kill grace.
func (m *Manager) awaitMainStatus(rs *runState) {
	p := rs.main
	if p == nil || p.HasExited() || rs.cgroup == "" {
		return
	}
	if pop, err := m.cfg.Cgroups.Populated(rs.cgroup); err == nil && pop {
		return // still running: killAll gave up on it
	}
	t := time.NewTimer(grace(0))
	defer t.Stop()
	select {
	case <-p.Exited():
	case <-t.C:
	}
}

// release frees what prepare set up: cgroup, runtime directories, the
// dynamic user.
func (m *Manager) release(u *Unit, rs *runState) {
	keepUser := false
	if rs.cgroup != "" {
		cpu := int64(-1)
		if v, ok := cgroupKey(m.cfg.Cgroups.Path(rs.cgroup)+"/cpu.stat", "usage_usec"); ok {
			cpu = int64(v) * 1000
		}
		m.mu.Lock()
		rs.cpuNSec = cpu
		m.mu.Unlock()
		if err := m.cfg.Cgroups.RemoveTree(rs.cgroup); err != nil {
			// What is left may still run as the user, or be owned by it:
			// the UID must not go to someone else.
			m.logf(u, "%s: remove cgroup: %v", u.name, err)
			keepUser = rs.user != nil
		}
	}
	m.closeUnitNotify(rs)
	rs.ipc.close()
	rs.net.close()
	if err := m.releaseV1(rs); err != nil {
		m.logf(u, "%s: %v", u.name, err)
	}
	for _, d := range rs.runtime {
		if err := removeRuntimeDir(d); err != nil {
			m.logf(u, "%s: remove runtime directory: %v", u.name, err)
		}
	}
	if keepUser {
		m.logf(u, "%s: keeping UID %d allocated while its cgroup remains.", u.name, rs.uid)
	}
	if rs.user != nil && !keepUser {
		if u.svc.RemoveIPC && !rs.user.Static {
			if err := dynuser.RemoveIPC(uint32(rs.uid), uint32(rs.gid)); err != nil {
				m.logf(u, "%s: remove IPC objects: %v", u.name, err)
			}
		}
		if err := rs.user.Release(); err != nil {
			m.logf(u, "%s: release user %s: %v", u.name, rs.user.Name, err)
		}
	}
}

func (m *Manager) closeStdio(rs *runState) {
	if rs.stdio != nil {
		for _, f := range rs.stdio.files {
			f.Close()
		}
		rs.stdio.files = nil
	}
}

// prepare allocates the user, directories and cgroup of an invocation.
func (m *Manager) prepare(u *Unit, rs *runState) error {
	svc := u.svc
	// rs is already visible to status and notify readers, which hold m.mu.
	set := func(f func()) {
		m.mu.Lock()
		f()
		m.mu.Unlock()
	}
	set(func() { rs.uid, rs.gid = os.Getuid(), os.Getgid() })
	switch {
	case svc.DynamicUser && m.cfg.Mode == System:
		usr, err := m.cfg.Users.Acquire(svc.User, m.suggestedPaths(u))
		if err != nil {
			return fmt.Errorf("allocate dynamic user %s: %w", svc.User, err)
		}
		set(func() { rs.user, rs.uid, rs.gid, rs.userName = usr, int(usr.UID), int(usr.UID), usr.Name })
		if len(svc.SupplementaryGroups) > 0 {
			c, err := m.systemCreds("", "", svc.SupplementaryGroups)
			if err != nil {
				return err
			}
			set(func() { rs.groups = append([]int{rs.gid}, c.groups[1:]...) })
		}
		if !usr.Static {
			if err := m.cfg.Users.Publish(usr, "/"); err != nil {
				return fmt.Errorf("publish user record of %s: %w", svc.User, err)
			}
		}
	case (svc.User != "" || svc.Group != "" || len(svc.SupplementaryGroups) > 0) && m.cfg.Mode == System:
		c, err := m.systemCreds(svc.User, svc.Group, svc.SupplementaryGroups)
		if err != nil {
			return err
		}
		set(func() { rs.uid, rs.gid, rs.userName, rs.groups = c.uid, c.gid, c.name, c.groups })
	}
	if err := m.setupDirs(u, rs); err != nil {
		return err
	}
	if err := m.openUnitNotify(u, rs); err != nil {
		return err
	}
	cg, procGroup := m.cgroupPath(u), m.cgroupPath(u)
	if svc.Delegate && svc.DelegateSubgroup != "" {
		procGroup = filepath.Join(cg, svc.DelegateSubgroup)
	}
	set(func() { rs.cgroup, rs.procGroup = cg, procGroup })
	h := m.cfg.Cgroups
	if err := h.Create(rs.cgroup); err != nil {
		return err
	}
	if svc.DynamicUser && m.cfg.Mode == System {
		// Untracked processes could outlive the release of their UID.
		if err := h.Writable(rs.cgroup); err != nil {
			return fmt.Errorf("DynamicUser=yes needs a writable cgroup2 hierarchy to track the unit's processes: %w", err)
		}
	}
	delegateTo := svc.Delegate && rs.uid != os.Getuid()
	if delegateTo {
		// Written as root before the hand-over, so the delegate cannot
		// raise them.
		if err := h.SetTreeLimits(rs.cgroup, m.cfg.TreeLimits); err != nil {
			return err
		}
		if err := h.Delegate(rs.cgroup, rs.uid, rs.gid); err != nil {
			return err
		}
	}
	if err := m.applyLimits(u, rs); err != nil {
		return err
	}
	if err := m.applyDevices(u, rs); err != nil {
		return err
	}
	if procGroup != cg {
		if err := h.Create(rs.procGroup); err != nil {
			return err
		}
		if delegateTo {
			if err := h.Delegate(rs.procGroup, rs.uid, rs.gid); err != nil {
				return err
			}
		}
	}
	return nil
}

// runHelper runs an ExecStartPre=/ExecStop= style command to completion.
func (m *Manager) runHelper(ctx context.Context, u *Unit, rs *runState, c unit.Command, timeout time.Duration, phase ...string) error {
	saved := rs.stdio
	rs.stdio = nil
	p, err := m.spawn(u, rs, c, false, phase...)
	rs.stdio = saved
	if err != nil {
		if c.IgnoreFailure {
			return nil
		}
		return err
	}
	defer m.setControl(rs, p)()
	if err := m.waitExit(ctx, p, timeout); err != nil {
		p.Signal(syscall.SIGKILL)
		return err
	}
	if ws := p.Status(); (!ws.Exited() || ws.ExitStatus() != 0) && !c.IgnoreFailure {
		m.logControlExit(u, p)
		return fmt.Errorf("%s: %s", c.Path, m.describeExit(p))
	}
	return nil
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// stopTakesOver reports whether u's job is now a stop (or restart), which
// ends a start it replaced by killing what the start runs.
func (m *Manager) stopTakesOver(u *Unit) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.jobTypeLocked(u)
	return ok && (t == job.Stop || t == job.Restart)
}
