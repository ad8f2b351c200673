package manager

import (
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/keyring"
	"github.com/capsuled/capsuled/internal/process"
	"github.com/capsuled/capsuled/internal/unit"
)

// environment builds the environment of a process of u as systemd.exec(5)
// orders it, later ones winning: the manager's block, what the manager
// sets for the unit and phase (the variables of its exec phase,
// service_env.go), PassEnvironment=, Environment=, EnvironmentFile= (read
// now, before each process); UnsetEnvironment= removes last.
func (m *Manager) environment(u *Unit, rs *runState, phase ...string) ([]string, error) {
	svc := u.svc
	env := process.NewEnv(m.Environment())
	if env.Get("PATH") == "" {
		env.Set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	if rs.userName != "" {
		env.Set("USER", rs.userName)
		env.Set("LOGNAME", rs.userName)
	}
	env.Set("INVOCATION_ID", rs.invocation)
	for _, kv := range phase {
		env.Add(kv)
	}
	for _, kv := range rs.dirEnv {
		env.Add(kv)
	}
	for _, kv := range rs.extraEnv {
		env.Add(kv)
	}
	if notifies(svc) {
		env.Set("NOTIFY_SOCKET", filepath.Join(m.cfg.RuntimeDir, "notify"))
	}
	if len(svc.ExecSearchPath) > 0 {
		// The environment settings below may give their own PATH.
		env.Set("PATH", strings.Join(svc.ExecSearchPath, ":"))
	}
	for _, name := range svc.PassEnvironment {
		if v, ok := os.LookupEnv(name); ok {
			env.Set(name, v)
		}
	}
	for _, kv := range svc.Environment {
		env.Add(kv)
	}
	if len(svc.EnvironmentFiles) > 0 {
		refs := make([]process.EnvFileRef, len(svc.EnvironmentFiles))
		for i, f := range svc.EnvironmentFiles {
			refs[i] = process.EnvFileRef{Path: f.Path, IgnoreErrors: f.IgnoreErrors}
		}
		// The system manager reads as root what a capsule may have put a
		// link into; a capsule's manager reads as the capsule.
		open := process.OpenEnvFile
		if m.cfg.Mode == System {
			open = process.OpenEnvFileAsRoot
		}
		files, invalid, err := process.LoadEnvFiles(refs, open)
		if err != nil {
			m.logAt(u, logstore.PriorityErr, "%s: Failed to load environment files: %v", u.name, err)
			return nil, fmt.Errorf("load environment files: %w", err)
		}
		for _, x := range invalid {
			m.logf(u, "%s: Ignoring invalid environment assignment '%s': %s", u.name, x.Assignment, x.File)
		}
		for _, kv := range files {
			env.Add(kv)
		}
	}
	env.Unset(svc.UnsetEnvironment)
	return env.List(), nil
}

// spawn starts one process of u in its cgroup, through the Spawner;
// phase are the variables of its exec phase.
func (m *Manager) spawn(u *Unit, rs *runState, c unit.Command, main bool, phase ...string) (*process.Process, error) {
	defer m.throttle()()
	envList, err := m.environment(u, rs, append(m.managerEnv(), phase...)...)
	if err != nil {
		return nil, err
	}
	if main {
		envList = append(envList, watchdogEnv(u.svc)...)
	}
	envMap := map[string]string{}
	for _, kv := range envList {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	argv, unset, bad := c.ExpandEnvReport(envMap)
	if len(unset) > 0 {
		m.logf(u, "%s: Referenced but unset environment variable evaluates to an empty string: %s", u.name, strings.Join(unset, ", "))
	}
	if len(bad) > 0 {
		m.logf(u, "%s: Invalid environment variable name evaluates to an empty string: %s", u.name, strings.Join(bad, ", "))
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("empty command line")
	}
	// Bare names are found next to the manager binary first, so built-in
	// units can run capsuled wherever it is installed; ExecSearchPath=
	// alone is searched where it is set.
	search := process.SearchPath(m.cfg.BinDir, "")
	if len(u.svc.ExecSearchPath) > 0 {
		search = process.SearchPath("", strings.Join(u.svc.ExecSearchPath, ":"))
	}
	path, err := process.LookPath(c.Path, search)
	if err != nil {
		// The executor fails it as systemd's does: 203/EXEC.
		path = c.Path
	}
	dir := u.svc.WorkingDirectory
	if dir == "~" || (dir == "" && m.cfg.Mode == User) {
		dir = m.cfg.Home
	}
	if dir == "" {
		dir = "/"
	}
	ident := filepath.Base(argv[0])
	if u.svc.SyslogIdentifier != "" {
		ident = u.svc.SyslogIdentifier
	}
	spec := &process.Spec{Path: path, Argv: argv, Env: envList, Dir: dir,
		Cgroup: m.cfg.Cgroups.Path(rs.procGroup), Limiter: m.logLimiter(u),
		Output: func(pid int, lines []string) { m.unitLog(u, rs.invocation, pid, ident, lines) },
		Warn:   func(err error) { m.logf(u, "%s: %v", u.name, err) }}
	if u.svc.EffectiveNotifyAccess() != "none" {
		own := rs.notify
		spec.BeforeReap = func() {
			// What the process sent before it exited still counts.
			m.drainNotify(m.notifyR)
			if own != nil {
				m.drainNotify(own.reader)
			}
		}
	}

	var toClose []*os.File // the invocation's stdio, ours once started
	defer func() {
		for _, f := range toClose {
			f.Close()
		}
	}()
	switch {
	case main && rs.stdio != nil && rs.stdio.tty != "":
		t, err := os.OpenFile(rs.stdio.tty, os.O_RDWR|syscall.O_NOCTTY, 0)
		if err != nil {
			return nil, fmt.Errorf("open terminal %s: %w", rs.stdio.tty, err)
		}
		spec.Stdin, spec.Stdout, spec.Stderr, spec.TTY = t, t, t, true
		toClose = append(toClose, t)
	case main && rs.stdio != nil && len(rs.stdio.files) == 3:
		spec.Stdin, spec.Stdout, spec.Stderr = rs.stdio.files[0], rs.stdio.files[1], rs.stdio.files[2]
		toClose = append(toClose, rs.stdio.files...)
		rs.stdio.files = nil
	}

	// The transient stdio of run -P/-t replaces the unit's own.
	attrs, input, err := m.execAttrs(u, spec.Stdin == nil)
	if err != nil {
		return nil, err
	}
	if input != nil {
		spec.Input = input
		toClose = append(toClose, input)
	}
	// A program that is not there fails in the executor, with systemd's
	// 203/EXEC, not as a failure of the manager to start it.
	missing := !filepath.IsAbs(path) || syscall.Access(path, 1) != nil // X_OK
	// Type=exec's start waits for the main program's execve(), which
	// only the executor can tell.
	execReport := main && u.svc.Type == "exec"

	pv := commandPrivileges(c)
	plan := m.sandbox(u, rs)
	// PrivateNetwork= comes with a mount plan; its namespace is the
	// invocation's, and '+' keeps it, as systemd 257 keeps PrivateIPC='s.
	joinNet := plan != nil
	if pv.noSandbox {
		plan = nil
	}
	var listen []*os.File
	if main || usesSocket(u.svc) {
		// A command with a stream on the socket gets it, as systemd
		// passes it to every command then.
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
	syscalls, caps := m.syscallPlan(u), m.capsPlan(u)
	restrictSUID, restrictNS, noNewPrivs := u.svc.RestrictSUIDSGID, u.svc.RestrictNamespaces, u.svc.NoNewPrivileges
	landlock := u.svc.DynamicUser && m.cfg.Mode == System
	if pv.noSandbox {
		syscalls, caps, restrictSUID, restrictNS, noNewPrivs, keyUpcalls, landlock = nil, nil, false, 0, false, false, false
	}
	uid, gid, groups := pv.credentials(rs)
	filters := restrictSUID || restrictNS != 0 || keyUpcalls || syscalls != nil
	if (m.cfg.Mode == System && (plan != nil || uid != 0 || gid != 0 || len(groups) > 0 || privIPC || joinNet)) || len(listen) > 0 || keys != keyring.Inherit || len(rs.v1) > 0 ||
		filters || caps != nil || noNewPrivs || u.svc.OOMScoreAdjust != nil || attrs != nil || missing || u.svc.KeepSIGPIPE || execReport {
		ec := &executor.Context{Unit: u.name, Mounts: plan, FDNames: rs.fdNames, JoinCgroups: joinV1(rs),
			NoNewPrivs: noNewPrivs, RestrictSUIDSGID: restrictSUID,
			RestrictNamespaces: restrictNS, RefuseKeyUpcalls: keyUpcalls, OOMScoreAdjust: u.svc.OOMScoreAdjust,
			Syscalls: syscalls, Caps: caps, Attrs: attrs, KeepSIGPIPE: u.svc.KeepSIGPIPE, NonBlocking: u.svc.NonBlocking}
		// A filter needs no_new_privs unless the command keeps
		// CAP_SYS_ADMIN (root in the system manager), as systemd implies.
		if filters && (m.cfg.Mode != System || uid != 0) {
			ec.NoNewPrivs = true
		}
		if privIPC && !newIPC {
			ec.IPCNamespace = rs.ipc.f
		}
		if keys != keyring.Inherit {
			ec.Keyring, ec.InvocationID = string(keys), rs.invocation
		}
		if m.cfg.Mode == System {
			ec.SetCreds, ec.UID, ec.GID = uid != 0 || gid != 0, uint32(uid), uint32(gid)
			ec.ScopeLandlock = landlock && m.landlockScope()
			for _, g := range groups {
				ec.Groups = append(ec.Groups, uint32(g))
			}
			if len(ec.Groups) == 0 && uid != 0 {
				ec.Groups = []uint32{uint32(gid)}
			}
			ec.SetCreds = ec.SetCreds || len(ec.Groups) > 0
		}
		spec.Executor, spec.Listen, spec.ExecReport = ec, listen, execReport
		if plan != nil {
			spec.Cloneflags = syscall.CLONE_NEWNS | m.utsNamespace(u)
		}
		if joinNet {
			netns, err := m.netNamespace(u, rs)
			if err != nil {
				return nil, err
			}
			ec.NetNamespace = netns
		}
		if newIPC {
			spec.Cloneflags |= syscall.CLONE_NEWIPC
		}
	}
	p, err := m.cfg.Spawner.Spawn(spec)
	if err != nil {
		return nil, err
	}
	m.noteExec(u, rs, c, p)
	if newIPC {
		// Should it have exited already, nothing is kept and the next
		// process makes a namespace of its own, as this one did.
		if err := rs.ipc.keep(p.PID); err != nil {
			m.logf(u, "%s: %v", u.name, err)
		}
	}
	return p, nil
}
