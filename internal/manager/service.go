package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/capsuled/capsuled/internal/dynuser"
	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/keyring"
	"github.com/capsuled/capsuled/internal/logstore"
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
	binds      []executor.Bind
	dirEnv     []string
	runtime    []string // runtime directories to remove at the end
	v1         []v1Member
	notify     *unitNotify // the invocation's own notify socket, if any
	ipc        ipcNamespace
	stdio      *stdioSpec
	listen     []*os.File // sockets from a socket unit, passed at fd 3+
	fdNames    []string
	collect    bool
	extraEnv   []string

	main      *process
	ready     chan struct{}
	readyOnce sync.Once
	done      chan struct{} // closed when the invocation has ended
	endOnce   sync.Once
	stopping  bool // guarded by Manager.mu
}

// stdioSpec overrides where a transient service's stdio goes.
type stdioSpec struct {
	files []*os.File // stdin, stdout, stderr
	tty   string
}

type process struct {
	pid    int
	comm   string
	exited chan struct{}
	status syscall.WaitStatus
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
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
	u.starts = append(u.starts, time.Now())
	if len(u.starts) > startLimitBurst {
		u.starts = u.starts[len(u.starts)-startLimitBurst:]
	}
	if u.run != nil && u.run.stdio != nil && u.run.main == nil {
		// A transient unit's stdio and options were attached before start.
		rs.stdio, rs.collect, rs.extraEnv = u.run.stdio, u.run.collect, u.run.extraEnv
	}
	rs.listen, rs.fdNames = u.pendingListen, u.pendingNames
	u.pendingListen, u.pendingNames = nil, nil
	u.run = rs
	u.invocation = rs.invocation
	u.result, u.exitCode, u.exitStatus, u.statusText = "", "", 0, ""
	u.setState(stateActivating, "start")
	m.mu.Unlock()

	if err := m.prepare(u, rs); err != nil {
		m.finish(u, rs, "resources")
		m.closeStdio(rs)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	for _, c := range svc.ExecStartPre {
		if err := m.runHelper(ctx, u, rs, c, svc.TimeoutStart); err != nil {
			m.finish(u, rs, "exit-code")
			m.closeStdio(rs)
			return fmt.Errorf("start %s: ExecStartPre: %w", u.name, err)
		}
	}
	if len(svc.ExecStart) == 0 {
		m.closeStdio(rs)
		return m.enterRunning(u, rs, svc.RemainAfterExit)
	}
	if svc.Type == "oneshot" {
		// Every ExecStart= of a oneshot runs to completion, in order.
		for i, c := range svc.ExecStart {
			p, err := m.spawn(u, rs, c, i == len(svc.ExecStart)-1)
			if err != nil {
				m.finish(u, rs, "resources")
				return fmt.Errorf("start %s: %w", u.name, err)
			}
			m.mu.Lock()
			rs.main = p
			m.mu.Unlock()
			if err := m.waitExit(ctx, p, svc.TimeoutStart); err != nil {
				res := "timeout"
				if ctx.Err() != nil {
					res = "canceled"
				}
				m.finish(u, rs, res)
				return fmt.Errorf("start %s: %w", u.name, err)
			}
			if res := m.exitResult(u, p, false); res != "success" && !c.IgnoreFailure {
				m.finish(u, rs, res)
				return fmt.Errorf("start %s: %s", u.name, m.describeExit(p))
			}
		}
		if !svc.RemainAfterExit {
			m.finish(u, rs, "success")
			return nil
		}
		return m.enterRunning(u, rs, true)
	}
	p, err := m.spawn(u, rs, svc.ExecStart[0], true)
	if err != nil {
		m.finish(u, rs, "resources")
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	m.mu.Lock()
	rs.main = p
	m.mu.Unlock()
	go m.watchMain(u, rs, p)
	if svc.Type == "notify" || svc.Type == "notify-reload" {
		var timeout <-chan time.Time
		if svc.TimeoutStart > 0 {
			t := time.NewTimer(svc.TimeoutStart)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-rs.ready:
		case <-p.exited:
			res := m.exitResult(u, p, false)
			if res == "success" {
				res = "protocol"
			}
			m.finish(u, rs, res)
			return fmt.Errorf("start %s: main process exited before it was ready: %s", u.name, m.describeExit(p))
		case <-timeout:
			m.killAll(u, rs)
			m.finish(u, rs, "timeout")
			return fmt.Errorf("start %s: not ready after %s (TimeoutStartSec=)", u.name, svc.TimeoutStart)
		case <-ctx.Done():
			// Only a stop job cancels a start; it takes over from here
			// and stops the half-started unit the normal way.
			return fmt.Errorf("start %s: canceled by a stop request", u.name)
		}
	}
	return m.enterRunning(u, rs, false)
}

func (m *Manager) enterRunning(u *Unit, rs *runState, exited bool) error {
	for _, c := range u.svc.ExecStartPost {
		if err := m.runHelper(context.Background(), u, rs, c, u.svc.TimeoutStart); err != nil {
			m.killAll(u, rs)
			m.finish(u, rs, "exit-code")
			return fmt.Errorf("start %s: ExecStartPost: %w", u.name, err)
		}
	}
	m.mu.Lock()
	if u.active == stateActivating {
		if exited {
			u.setState(stateActive, "exited")
		} else {
			u.setState(stateActive, "running")
		}
	}
	m.mu.Unlock()
	m.logf(u, "Started %s - %s.", u.name, u.description)
	return nil
}

// watchMain finishes the unit when its main process ends by itself.
func (m *Manager) watchMain(u *Unit, rs *runState, p *process) {
	<-p.exited
	m.mu.Lock()
	stopping := rs.stopping
	m.mu.Unlock()
	if stopping {
		return // the stop job finishes the unit
	}
	done, err := m.beginJob(context.Background(), u, false)
	if err != nil || done == nil {
		return
	}
	defer m.endJob(u, done)
	m.mu.Lock()
	current := u.run == rs
	if current {
		u.setState(stateDeactivating, "stop-sigterm")
	}
	m.mu.Unlock()
	if !current {
		return
	}
	res := m.exitResult(u, p, false)
	m.killAll(u, rs)
	m.finish(u, rs, res)
	m.maybeRestart(u, res)
}

func (m *Manager) stopService(ctx context.Context, u *Unit) {
	m.mu.Lock()
	rs := u.run
	if u.cancelRestart() {
		// Waiting to restart: nothing runs, so stopping just ends the wait.
		u.setState(stateInactive, "dead")
		m.mu.Unlock()
		m.logf(u, "Stopped %s - %s.", u.name, u.description)
		return
	}
	if rs == nil {
		u.setState(stateInactive, "dead")
		m.mu.Unlock()
		return
	}
	rs.stopping = true
	u.setState(stateDeactivating, "stop-sigterm")
	p := rs.main
	m.mu.Unlock()
	m.logf(u, "Stopping %s - %s...", u.name, u.description)
	svc := u.svc
	for _, c := range svc.ExecStop {
		if err := m.runHelper(ctx, u, rs, c, svc.TimeoutStop); err != nil {
			m.logf(u, "%s: ExecStop: %v", u.name, err)
		}
	}
	result := "success"
	if p != nil && !p.hasExited() {
		sig := syscall.Signal(svc.KillSignal)
		switch svc.KillMode {
		case "control-group":
			m.cfg.Cgroups.Signal(rs.cgroup, sig, true)
		case "mixed", "process":
			syscall.Kill(p.pid, sig)
		}
		if err := m.waitExit(ctx, p, svc.TimeoutStop); err != nil {
			m.logf(u, "%s: processes still running after %s, killing them.", u.name, svc.TimeoutStop)
			result = "timeout"
		}
	}
	if p != nil && p.hasExited() && result == "success" {
		result = m.exitResult(u, p, true)
	}
	m.killAll(u, rs)
	m.finish(u, rs, result)
}

// killAll ends whatever is left in the unit's cgroup. KillMode=
// control-group first gets KillSignal= and a grace period; then, whatever
// the mode, cgroup.kill ends the whole tree and the kernel's populated
// flag, not a list of processes, says when it is empty: a tree can be
// built that no list covers, and nothing may outlive the invocation's
// user.
func (m *Manager) killAll(u *Unit, rs *runState) {
	if rs.cgroup == "" {
		return
	}
	h := m.cfg.Cgroups
	pop, err := h.Populated(rs.cgroup)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !pop) {
		return
	}
	switch u.svc.KillMode {
	case "control-group":
		h.Signal(rs.cgroup, syscall.Signal(u.svc.KillSignal), true)
		ctx, cancel := context.WithTimeout(context.Background(), grace(u.svc.TimeoutStop))
		err := h.WaitEmpty(ctx, rs.cgroup)
		cancel()
		if err == nil {
			m.reaper.reap()
			return
		}
	case "none", "process":
		m.logf(u, "%s: processes left in the unit's cgroup after stop (KillMode=%s), killing them.", u.name, u.svc.KillMode)
	}
	if err := h.Kill(rs.cgroup); err != nil {
		m.logf(u, "%s: kill remaining processes: %v", u.name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.WaitEmpty(ctx, rs.cgroup); err != nil {
		m.logf(u, "%s: cgroup not empty after SIGKILL: %v", u.name, err)
	}
	// Killed orphans are our children now; do not leave them as zombies.
	m.reaper.reap()
}

// grace bounds how long left-over processes get after SIGTERM.
func grace(timeout time.Duration) time.Duration {
	if timeout <= 0 || timeout > 5*time.Second {
		return 5 * time.Second
	}
	return timeout
}

func (m *Manager) waitExit(ctx context.Context, p *process, timeout time.Duration) error {
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-p.exited:
		return nil
	case <-tc:
		return fmt.Errorf("timed out after %s", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exitResult maps how p ended to a unit result. A signal we sent while
// stopping, or one of the signals a clean shutdown uses, is success.
func (m *Manager) exitResult(u *Unit, p *process, stopping bool) string {
	ws := p.status
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
	}
	m.mu.Unlock()
	switch {
	case ws.Exited() && status == 0:
		return "success"
	case ws.Exited():
		return "exit-code"
	}
	switch ws.Signal() {
	case syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE:
		return "success"
	case syscall.SIGKILL:
		if stopping {
			return "success"
		}
	}
	if ws.CoreDump() {
		return "core-dump"
	}
	return "signal"
}

func (m *Manager) describeExit(p *process) string {
	ws := p.status
	if ws.Signaled() {
		return fmt.Sprintf("killed by signal %s", ws.Signal())
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}

// finish tears an invocation down and records the result. It runs once.
func (m *Manager) finish(u *Unit, rs *runState, result string) {
	rs.endOnce.Do(func() {
		// Whatever path ended the invocation, nothing of it may outlive
		// the release of its user below.
		m.killAll(u, rs)
		for _, c := range u.svc.ExecStopPost {
			if err := m.runHelper(context.Background(), u, rs, c, u.svc.TimeoutStop); err != nil {
				m.logf(u, "%s: ExecStopPost: %v", u.name, err)
			}
		}
		m.release(u, rs)
		m.mu.Lock()
		u.result = result
		if result == "success" {
			u.setState(stateInactive, "dead")
		} else {
			u.setState(stateFailed, "failed")
		}
		m.mu.Unlock()
		if result == "success" {
			if rs.main != nil && u.svc.Type != "oneshot" && !rs.stopping {
				m.logf(u, "%s: Deactivated successfully.", u.name)
			}
			if rs.stopping {
				m.logf(u, "Stopped %s - %s.", u.name, u.description)
			}
		} else {
			if rs.main != nil && rs.main.hasExited() {
				if u.exitCode == "" {
					m.exitResult(u, rs.main, false) // records how it ended
				}
				m.logf(u, "%s: Main process exited, code=%s, status=%d", u.name, u.exitCode, u.exitStatus)
			}
			m.logf(u, "%s: Failed with result '%s'.", u.name, result)
		}
		close(rs.done)
	})
}

// release frees what prepare set up: cgroup, runtime directories, the
// dynamic user.
func (m *Manager) release(u *Unit, rs *runState) {
	keepUser := false
	if rs.cgroup != "" {
		if err := m.cfg.Cgroups.RemoveTree(rs.cgroup); err != nil {
			// What is left may still run as the user, or be owned by it:
			// the UID must not go to someone else.
			m.logf(u, "%s: remove cgroup: %v", u.name, err)
			keepUser = rs.user != nil
		}
	}
	m.closeUnitNotify(rs)
	rs.ipc.close()
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
		if !usr.Static {
			if err := m.cfg.Users.Publish(usr, "/"); err != nil {
				return fmt.Errorf("publish user record of %s: %w", svc.User, err)
			}
		}
	case svc.User != "" && m.cfg.Mode == System:
		uid, gid, err := lookupUser(m.reaper.output, svc.User)
		if err != nil {
			return fmt.Errorf("look up User=%s: %w", svc.User, err)
		}
		set(func() { rs.uid, rs.gid, rs.userName = uid, gid, svc.User })
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

// environment builds the environment of a process of u.
func (m *Manager) environment(u *Unit, rs *runState) []string {
	env := newEnv(m.cfg.Env)
	if env.get("PATH") == "" {
		env.set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	if rs.userName != "" {
		env.set("USER", rs.userName)
		env.set("LOGNAME", rs.userName)
	}
	env.set("INVOCATION_ID", rs.invocation)
	for _, kv := range rs.dirEnv {
		env.add(kv)
	}
	for _, kv := range u.svc.Environment {
		env.add(kv)
	}
	for _, kv := range rs.extraEnv {
		env.add(kv)
	}
	if u.svc.Type == "notify" || u.svc.Type == "notify-reload" {
		env.set("NOTIFY_SOCKET", filepath.Join(m.cfg.RuntimeDir, "notify"))
	}
	return env.list()
}

// runHelper runs an ExecStartPre=/ExecStop= style command to completion.
func (m *Manager) runHelper(ctx context.Context, u *Unit, rs *runState, c unit.Command, timeout time.Duration) error {
	saved := rs.stdio
	rs.stdio = nil
	p, err := m.spawn(u, rs, c, false)
	rs.stdio = saved
	if err != nil {
		if c.IgnoreFailure {
			return nil
		}
		return err
	}
	if err := m.waitExit(ctx, p, timeout); err != nil {
		syscall.Kill(p.pid, syscall.SIGKILL)
		return err
	}
	if p.status.ExitStatus() != 0 && !c.IgnoreFailure {
		return fmt.Errorf("%s: %s", c.Path, m.describeExit(p))
	}
	return nil
}

// spawn starts one process of u in its cgroup.
func (m *Manager) spawn(u *Unit, rs *runState, c unit.Command, main bool) (*process, error) {
	envList := m.environment(u, rs)
	envMap := map[string]string{}
	for _, kv := range envList {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	argv := c.ExpandEnv(envMap)
	if len(argv) == 0 {
		return nil, fmt.Errorf("empty command line")
	}
	// Bare names are found next to the manager binary first, so built-in
	// units can run capsuled wherever it is installed.
	path, err := lookPath(c.Path, m.searchPath(envMap["PATH"]))
	if err != nil {
		return nil, err
	}
	dir := u.svc.WorkingDirectory
	if dir == "~" || (dir == "" && m.cfg.Mode == User) {
		dir = m.cfg.Home
	}
	if dir == "" {
		dir = "/"
	}
	cgfd, err := m.cfg.Cgroups.OpenDir(rs.procGroup)
	if err != nil {
		return nil, err
	}
	defer cgfd.Close()

	var stdin, stdout, stderr *os.File
	var toClose []*os.File
	var logR *os.File
	tty := false
	switch {
	case main && rs.stdio != nil && rs.stdio.tty != "":
		t, err := os.OpenFile(rs.stdio.tty, os.O_RDWR|syscall.O_NOCTTY, 0)
		if err != nil {
			return nil, fmt.Errorf("open terminal %s: %w", rs.stdio.tty, err)
		}
		stdin, stdout, stderr, tty = t, t, t, true
		toClose = append(toClose, t)
	case main && rs.stdio != nil && len(rs.stdio.files) == 3:
		stdin, stdout, stderr = rs.stdio.files[0], rs.stdio.files[1], rs.stdio.files[2]
		toClose = append(toClose, rs.stdio.files...)
		rs.stdio.files = nil
	default:
		null, err := os.Open(os.DevNull)
		if err != nil {
			return nil, err
		}
		r, w, err := os.Pipe()
		if err != nil {
			null.Close()
			return nil, err
		}
		stdin, stdout, stderr, logR = null, w, w, r
		toClose = append(toClose, null, w)
	}
	defer func() {
		for _, f := range toClose {
			f.Close()
		}
	}()

	var cmd *osexec.Cmd
	attr := &syscall.SysProcAttr{Setsid: true, UseCgroupFD: true, CgroupFD: int(cgfd.Fd())}
	plan := m.sandbox(u, rs)
	var listen []*os.File
	if main {
		listen = rs.listen
	}
	// Socket activation needs LISTEN_PID, which only the child can set, so
	// it goes through the executor too.
	// So does joining v1 cgroups, which must happen before the command runs.
	keys := m.keyringMode(u)
	privIPC := m.privateIPC(u)
	if privIPC {
		// Held until the first process's namespace is recorded, so
		// concurrent spawns do not make two.
		rs.ipc.mu.Lock()
		defer rs.ipc.mu.Unlock()
	}
	newIPC := privIPC && rs.ipc.f == nil
	// So do the seccomp filters and no_new_privs, which the process sets
	// on itself.
	// A dynamic user's units never get the kernel to run root's
	// request-key helper for them.
	keyUpcalls := u.svc.DynamicUser && m.cfg.Mode == System
	filters := u.svc.RestrictSUIDSGID || u.svc.RestrictNamespaces != 0 || keyUpcalls
	// Go starts a child inside a cgroup with clone3, which a
	// RestrictNamespaces= filter on this manager (a capsule's) refuses;
	// then the executor moves itself into the cgroup before the command
	// runs.
	intoCgroup := executor.CanClone3()
	if (m.cfg.Mode == System && (plan != nil || rs.uid != 0 || privIPC)) || len(listen) > 0 || keys != keyring.Inherit || len(rs.v1) > 0 ||
		filters || u.svc.NoNewPrivileges || !intoCgroup {
		ec := &executor.Context{Path: path, Argv: argv, Env: envList, Dir: dir, Mounts: plan,
			ListenFDs: len(listen), FDNames: rs.fdNames, JoinCgroups: joinV1(rs),
			NoNewPrivs: u.svc.NoNewPrivileges, RestrictSUIDSGID: u.svc.RestrictSUIDSGID,
			RestrictNamespaces: u.svc.RestrictNamespaces, RefuseKeyUpcalls: keyUpcalls}
		if !intoCgroup {
			ec.JoinCgroups = append([]string{filepath.Join(m.cfg.Cgroups.Path(rs.procGroup), "cgroup.procs")}, ec.JoinCgroups...)
			attr.UseCgroupFD = false
		}
		// A filter needs no_new_privs unless the command keeps
		// CAP_SYS_ADMIN (root in the system manager), as systemd implies.
		if filters && (m.cfg.Mode != System || rs.uid != 0) {
			ec.NoNewPrivs = true
		}
		if privIPC && !newIPC {
			ec.IPCNamespace = rs.ipc.f
		}
		if keys != keyring.Inherit {
			ec.Keyring, ec.InvocationID = string(keys), rs.invocation
		}
		if m.cfg.Mode == System {
			ec.SetCreds, ec.UID, ec.GID = rs.uid != 0 || rs.gid != 0, uint32(rs.uid), uint32(rs.gid)
			ec.ScopeLandlock = u.svc.DynamicUser && m.landlockScope()
			if rs.uid != 0 {
				ec.Groups = []uint32{uint32(rs.gid)}
			}
		}
		if m.cfg.Mode != System {
			// The executor would only fail after the start (exit
			// 203); a direct start reports a missing program at once,
			// and without a sandbox both see the same files.
			if err := syscall.Access(path, 1); err != nil { // X_OK
				return nil, fmt.Errorf("execute %s: %w", path, err)
			}
		}
		cmd, err = executor.Command(m.cfg.Exe, ec, listen...)
		if err != nil {
			if logR != nil {
				logR.Close()
			}
			return nil, err
		}
		// Only the context pipe is ours to close; the sockets and the IPC
		// namespace belong to the invocation.
		toClose = append(toClose, cmd.ExtraFiles[len(cmd.ExtraFiles)-1])
		if plan != nil {
			attr.Cloneflags = syscall.CLONE_NEWNS
		}
		if newIPC {
			attr.Cloneflags |= syscall.CLONE_NEWIPC
		}
	} else {
		cmd = &osexec.Cmd{Path: path, Args: argv, Env: envList, Dir: dir}
	}
	if tty {
		attr.Setctty, attr.Ctty = true, 0
	}
	cmd.SysProcAttr = attr
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err = m.reaper.spawn(func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	if err != nil {
		if logR != nil {
			logR.Close()
		}
		return nil, fmt.Errorf("execute %s: %w", path, err)
	}
	if newIPC {
		// Should it have exited already, nothing is kept and the next
		// process makes a namespace of its own, as this one did.
		if err := rs.ipc.keep(cmd.Process.Pid); err != nil {
			m.logf(u, "%s: %v", u.name, err)
		}
	}
	if !intoCgroup {
		// The executor joins the cgroup itself before anything runs, but
		// only once it is scheduled; a stop right now would look for it
		// there in vain. Moving it from here closes that window.
		if err := joinCgroupFD(cgfd, cmd.Process.Pid); err != nil && !errors.Is(err, syscall.ESRCH) {
			m.logf(u, "%s: %v", u.name, err)
		}
	}
	p := &process{pid: cmd.Process.Pid, comm: filepath.Base(argv[0]), exited: make(chan struct{})}
	if logR != nil {
		go func() {
			defer logR.Close()
			logstore.CopyLimited(logR, func(s string) { m.unitLog(u, p.pid, p.comm, s) }, m.logLimiter(u))
		}()
	}
	go func() {
		ws, err := waitChild(cmd.Process)
		m.reaper.forget(p.pid)
		if err == nil {
			p.status = ws
		}
		close(p.exited)
	}()
	return p, nil
}

// searchPath is where bare command names are looked up: next to the
// manager binary first (BinDir), so built-in units find capsuled wherever it
// is installed, then PATH.
func (m *Manager) searchPath(path string) string {
	if m.cfg.BinDir == "" {
		return path
	}
	return m.cfg.BinDir + ":" + path
}

// lookPath resolves a command the way systemd does for a bare name: in a
// fixed search path.
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		if !filepath.IsAbs(name) {
			return "", fmt.Errorf("executable path %q is not absolute", name)
		}
		return name, nil
	}
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("executable %q not found in %s", name, path)
}

// env is an ordered environment where later assignments win.
type env struct {
	keys []string
	vals map[string]string
}

func newEnv(base []string) *env {
	e := &env{vals: map[string]string{}}
	for _, kv := range base {
		e.add(kv)
	}
	return e
}

func (e *env) add(kv string) {
	k, v, _ := strings.Cut(kv, "=")
	e.set(k, v)
}

func (e *env) set(k, v string) {
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

func (e *env) get(k string) string { return e.vals[k] }

func (e *env) list() []string {
	out := make([]string, 0, len(e.keys))
	for _, k := range e.keys {
		out = append(out, k+"="+e.vals[k])
	}
	return out
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// joinCgroupFD moves process pid into the cgroup open at dir.
func joinCgroupFD(dir *os.File, pid int) error {
	fd, err := syscall.Openat(int(dir.Fd()), "cgroup.procs", syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s/cgroup.procs: %w", dir.Name(), err)
	}
	defer syscall.Close(fd)
	if _, err := syscall.Write(fd, []byte(fmt.Sprint(pid))); err != nil {
		return fmt.Errorf("move %d to %s: %w", pid, dir.Name(), err)
	}
	return nil
}
