package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/varlink"
)

// Serve answers calls on l until ctx ends or l is closed.
func (m *Manager) Serve(ctx context.Context, l *net.UnixListener) error {
	s := &varlink.Server{Handler: m.handle, Authorize: m.authorize}
	return s.Serve(ctx, l)
}

// authorize admits root and the manager's own user, nobody else.
func (m *Manager) authorize(p varlink.Peer) error {
	if p.UID == 0 || int(p.UID) == os.Geteuid() {
		return nil
	}
	return fmt.Errorf("permission denied: UID %d may not manage this %s manager; run as root", p.UID, m.cfg.Mode)
}

func (m *Manager) handle(ctx context.Context, c *varlink.Call) {
	err := m.dispatch(ctx, c)
	if err == nil {
		return
	}
	for _, f := range c.Files {
		f.Close()
	}
	name := api.ErrJobFailed
	switch {
	case errors.Is(err, errNoSuchUnit):
		name = api.ErrNoSuchUnit
	case errors.Is(err, errBusy):
		name = api.ErrUnitBusy
	case errors.Is(err, errInvalid):
		name = api.ErrInvalidArgument
	case errors.Is(err, errExists):
		name = api.ErrUnitExists
	case errors.Is(err, errNothing):
		name = api.ErrNothingToClean
	}
	c.ReplyError(name, cleanMessage(err))
}

// cleanMessage drops the sentinel prefixes from an error's text.
func cleanMessage(err error) string {
	s := err.Error()
	for _, e := range []error{errNoSuchUnit, errBusy, errInvalid, errExists, errNothing, errUnsupported} {
		s = strings.ReplaceAll(s, e.Error()+": ", "")
	}
	return s
}

var errExists = errors.New("unit exists")

func (m *Manager) dispatch(ctx context.Context, c *varlink.Call) error {
	// Jobs outlive the call that queued them: a client that goes away
	// (^C on capsulectl start) does not cancel a half-done start.
	jobCtx := context.WithoutCancel(ctx)
	switch c.Method {
	case api.MethodGetManager:
		return c.Reply(m.managerStatus())
	case api.MethodListUnits:
		var out api.UnitList
		for _, u := range m.snapshot() {
			out.Units = append(out.Units, m.summary(u))
		}
		return c.Reply(out)
	case api.MethodGetUnit:
		var p api.UnitName
		if err := c.Decode(&p); err != nil {
			return fmt.Errorf("%w: %v", errInvalid, err)
		}
		m.mu.Lock()
		u, ok := m.units[p.Name]
		m.mu.Unlock()
		if !ok {
			// Like systemctl status: a unit with a file shows as inactive.
			var err error
			if u, err = m.load(p.Name); err != nil {
				return err
			}
			defer m.collectIdle(u)
		}
		if p.Brief {
			return c.Reply(m.summary(u))
		}
		return c.Reply(m.status(u, p.Lines))
	case api.MethodStartUnit, api.MethodRestartUnit:
		var p api.UnitName
		if err := c.Decode(&p); err != nil {
			return fmt.Errorf("%w: %v", errInvalid, err)
		}
		if c.Method == api.MethodRestartUnit {
			if _, err := m.Stop(jobCtx, p.Name); err != nil && !errors.Is(err, errNoSuchUnit) {
				return err
			}
		}
		u, err := m.Start(jobCtx, p.Name)
		if err != nil {
			return err
		}
		return c.Reply(m.summary(u))
	case api.MethodStopUnit:
		var p api.UnitName
		if err := c.Decode(&p); err != nil {
			return fmt.Errorf("%w: %v", errInvalid, err)
		}
		u, err := m.Stop(jobCtx, p.Name)
		if err != nil {
			return err
		}
		if u == nil {
			return c.Reply(api.Unit{Name: p.Name, LoadState: "loaded", ActiveState: stateInactive, SubState: "dead"})
		}
		return c.Reply(m.summary(u))
	case api.MethodResetFailed:
		var p api.UnitName
		if err := c.Decode(&p); err != nil {
			return fmt.Errorf("%w: %v", errInvalid, err)
		}
		m.ResetFailed(p.Name)
		return c.Reply(struct{}{})
	case api.MethodCleanUnit:
		var p api.Clean
		if err := c.Decode(&p); err != nil {
			return fmt.Errorf("%w: %v", errInvalid, err)
		}
		removed, err := m.Clean(jobCtx, p.Name, p.What)
		if err != nil {
			return err
		}
		return c.Reply(api.Cleaned{Removed: removed})
	case api.MethodEnableUnit, api.MethodDisableUnit:
		var p api.UnitName
		if err := c.Decode(&p); err != nil {
			return fmt.Errorf("%w: %v", errInvalid, err)
		}
		op := m.Enable
		if c.Method == api.MethodDisableUnit {
			op = m.Disable
		}
		changes, err := op(p.Name)
		if err != nil {
			return err
		}
		return c.Reply(api.Changes{Changes: changes})
	case api.MethodUnitFileState:
		var p api.UnitName
		if err := c.Decode(&p); err != nil {
			return fmt.Errorf("%w: %v", errInvalid, err)
		}
		st, err := m.UnitFileState(p.Name)
		if err != nil {
			return err
		}
		return c.Reply(api.FileState{State: st})
	case api.MethodListBusNames:
		names, err := m.busNames()
		if err != nil {
			return err
		}
		return c.Reply(names)
	case api.MethodGetLogs:
		return m.logs(ctx, c)
	case api.MethodReload:
		m.Reload()
		return c.Reply(struct{}{})
	case api.MethodRunTransient:
		return m.runTransient(ctx, c)
	}
	return c.ReplyError("org.varlink.service.MethodNotFound", "method "+c.Method+" is not known")
}

// collectIdle forgets a unit that was loaded only to be shown.
func (m *Manager) collectIdle(u *Unit) {
	m.mu.Lock()
	idle := u.job == nil && u.active == stateInactive && u.run == nil
	m.mu.Unlock()
	if idle {
		m.unload(u)
	}
}

func (m *Manager) managerStatus() api.Manager {
	st := m.State()
	m.mu.Lock()
	defer m.mu.Unlock()
	failed := 0
	for _, u := range m.units {
		if u.active == stateFailed {
			failed++
		}
	}
	return api.Manager{State: st, Mode: m.cfg.Mode.String(), Capsule: m.cfg.Capsule, Version: Version,
		PID: os.Getpid(), ControlGroup: m.cfg.CgroupBase, Units: len(m.units), Jobs: m.jobs,
		Failed: failed, Since: m.since.UnixMicro()}
}

// status describes u; lines > 0 includes that many log lines.
func (m *Manager) status(u *Unit, lines int) api.Unit {
	s := m.summary(u)
	s.UnitFileState = "static"
	if u.loadState == "loaded" {
		if st, err := m.UnitFileState(u.name); err == nil {
			s.UnitFileState = st
		}
	}
	if cg := s.ControlGroup; cg != "" {
		// The walk reads each cgroup.procs relative to directory
		// descriptors, so it also reaches sub-cgroups nested beyond
		// PATH_MAX; should it fail, what it found is shown with the error.
		procs, err := m.cfg.Cgroups.Procs(cg)
		for _, p := range procs {
			s.Processes = append(s.Processes, api.Process{PID: p.PID, Command: cmdline(p.PID), Cgroup: p.Cgroup})
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.ProcsError = err.Error()
		}
	}
	if lines > 0 {
		for _, l := range u.log.Tail(lines) {
			s.Log = append(s.Log, l.Format(m.cfg.Hostname))
		}
	}
	return s
}

// summary is what status knows without reading files or /proc: enough for
// list-units and job replies, which would otherwise redo that per unit.
func (m *Manager) summary(u *Unit) api.Unit {
	m.mu.Lock()
	s := api.Unit{Name: u.name, Description: u.description, LoadState: u.loadState, LoadError: u.loadErr,
		ActiveState: u.active, SubState: u.sub, Transient: u.transient,
		InvocationID: u.invocation, StatusText: u.statusText, Result: u.result, ExitCode: u.exitCode,
		ExitStatus: u.exitStatus}
	if u.file != nil {
		s.Fragment, s.DropIns = u.file.Fragment, u.file.DropIns
	}
	if !u.since.IsZero() {
		s.StateChange = u.since.UnixMicro()
	}
	rs := u.run
	var cg string
	if rs != nil && u.active != stateInactive && u.active != stateFailed {
		if rs.main != nil && !rs.main.hasExited() {
			s.MainPID = rs.main.pid
		}
		cg = rs.cgroup
		s.User, s.UID = rs.userName, rs.uid
	}
	if u.kind == "slice" && u.active == stateActive {
		cg = m.cgroupPath(u)
	}
	m.mu.Unlock()
	s.ControlGroup = cg
	return s
}

// cmdline reads a process's command line for display.
func cmdline(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || len(b) == 0 {
		comm, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
		return "(" + strings.TrimSpace(string(comm)) + ")"
	}
	return strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ")
}

// runTransient creates a transient service from a RunTransient call,
// starts it and, with wait, reports how it ended.
func (m *Manager) runTransient(ctx context.Context, c *varlink.Call) error {
	var p api.Run
	if err := c.Decode(&p); err != nil {
		return fmt.Errorf("%w: %v", errInvalid, err)
	}
	if len(p.Argv) == 0 {
		return fmt.Errorf("%w: no command given", errInvalid)
	}
	name := p.Unit
	if name == "" {
		name = fmt.Sprintf("run-p%d-i%s.service", c.Peer.PID, newInvocationID()[:8])
	} else if !strings.Contains(name, ".") {
		name += ".service"
	}
	n, err := unit.ParseName(name)
	if err != nil {
		return fmt.Errorf("%w: %v", errInvalid, err)
	}
	if n.Type != "service" || n.IsTemplate() {
		return fmt.Errorf("%w: %s: only service units can be run", errInvalid, name)
	}
	spec := &stdioSpec{}
	switch p.Stdio {
	case "", api.StdioLog:
		spec = nil
	case api.StdioFDs:
		if len(c.Files) != 3 {
			return fmt.Errorf("%w: stdio \"fds\" needs 3 descriptors, got %d", errInvalid, len(c.Files))
		}
		spec.files = c.Files
	case api.StdioPTY:
		if !strings.HasPrefix(p.PTY, "/dev/pts/") {
			return fmt.Errorf("%w: pty %q is not a /dev/pts terminal", errInvalid, p.PTY)
		}
		spec.tty = p.PTY
	default:
		return fmt.Errorf("%w: unknown stdio mode %q", errInvalid, p.Stdio)
	}
	m.mu.Lock()
	_, loaded := m.units[name]
	m.mu.Unlock()
	file := filepath.Join(m.cfg.RuntimeDir, "transient", name)
	if _, err := os.Stat(file); loaded || err == nil {
		return fmt.Errorf("%w: unit %s was already loaded or has a fragment file; choose another --unit= name", errExists, name)
	}
	if f, err := m.loader.Load(name); err == nil {
		return fmt.Errorf("%w: unit %s already exists (%s); choose another --unit= name", errExists, name, f.Fragment)
	}
	// Resolve the program now, as systemd-run does, so a typo fails here
	// and argv[0] is kept exactly as given.
	path, err := lookPath(p.Argv[0], m.searchPath(newEnv(m.cfg.Env).get("PATH")))
	if err != nil {
		return fmt.Errorf("%w: %v", errInvalid, err)
	}
	text, err := transientFile(&p, path)
	if err != nil {
		return fmt.Errorf("%w: %v", errInvalid, err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write transient unit: %w", err)
	}
	u, err := m.load(name)
	if err != nil {
		os.Remove(file)
		return err
	}
	m.mu.Lock()
	var env []string
	if spec != nil && spec.tty != "" {
		for _, kv := range p.Environment {
			if strings.HasPrefix(kv, "TERM=") {
				env = append(env, kv)
			}
		}
	}
	u.run = &runState{stdio: spec, collect: p.Collect, extraEnv: env}
	if spec == nil {
		u.run.stdio = &stdioSpec{}
	}
	m.mu.Unlock()
	u, err = m.Start(context.WithoutCancel(ctx), name)
	if err != nil {
		m.mu.Lock()
		if u != nil && u.run != nil {
			u.run.collect = true
		}
		m.mu.Unlock()
		if u != nil {
			m.collect(u)
		}
		return err
	}
	m.mu.Lock()
	rs := u.run
	reply := api.RunReply{Unit: name, InvocationID: rs.invocation}
	if rs.main != nil {
		reply.MainPID = rs.main.pid
	}
	m.mu.Unlock()
	if !p.Wait {
		return c.Reply(reply)
	}
	if err := c.Continue(reply); err != nil {
		return err
	}
	select {
	case <-rs.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.mu.Lock()
	reply.Done = true
	reply.Result = u.result
	reply.ExitCode, reply.ExitStatus = u.exitCode, u.exitStatus
	m.mu.Unlock()
	return c.Reply(reply)
}

// transientFile renders a RunTransient request as a unit file, so a
// transient unit is loaded like any other; path is the resolved program.
func transientFile(p *api.Run, path string) (string, error) {
	desc := p.Description
	if desc == "" {
		desc = "[capsulectl run] " + strings.Join(p.Argv, " ")
	}
	unitSec := []string{"Description=" + escapeValue(desc)}
	// "@" keeps argv[0] as given, whatever characters it starts with.
	svcSec := []string{"ExecStart=@" + quote(append([]string{path}, p.Argv...), true)}
	if strings.HasSuffix(p.WorkingDirectory, `\`) {
		return "", fmt.Errorf("working directory %q may not end with a backslash", p.WorkingDirectory)
	}
	if p.WorkingDirectory != "" {
		svcSec = append(svcSec, "WorkingDirectory="+escapeValue(p.WorkingDirectory))
	}
	for _, kv := range p.Environment {
		if !strings.Contains(kv, "=") {
			return "", fmt.Errorf("environment %q is not NAME=VALUE", kv)
		}
		svcSec = append(svcSec, "Environment="+quote([]string{kv}, false))
	}
	for _, prop := range p.Properties {
		k, v, ok := strings.Cut(prop, "=")
		if !ok || strings.ContainsAny(prop, "\n") {
			return "", fmt.Errorf("property %q is not KEY=VALUE", prop)
		}
		if knownKeys["Unit"][k] {
			unitSec = append(unitSec, k+"="+v)
		} else if knownKeys["Service"][k] {
			svcSec = append(svcSec, k+"="+v)
		} else {
			return "", fmt.Errorf("unknown property %s=", k)
		}
	}
	return "# Transient unit\n[Unit]\n" + strings.Join(unitSec, "\n") + "\n\n[Service]\n" + strings.Join(svcSec, "\n") + "\n", nil
}

// escapeValue keeps specifiers and line breaks in free text literal; a
// trailing backslash would continue the line, so it is dropped.
func escapeValue(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.TrimRight(s, `\`)
}

// quote quotes words so unit file parsing gives them back unchanged, with
// no specifier expansion and, for commands, no variable expansion.
func quote(argv []string, command bool) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for _, r := range a {
			switch r {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case '%':
				b.WriteString("%%")
			case '$':
				if command {
					b.WriteString("$$")
				} else {
					b.WriteByte('$')
				}
			case '\n':
				b.WriteString(`\n`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	}
	return b.String()
}

// logs answers GetLogs, following the log while the caller listens.
func (m *Manager) logs(ctx context.Context, c *varlink.Call) error {
	var p api.LogsRequest
	if err := c.Decode(&p); err != nil {
		return fmt.Errorf("%w: %v", errInvalid, err)
	}
	ring := m.log
	if p.Name != "" {
		m.mu.Lock()
		u, ok := m.units[p.Name]
		m.mu.Unlock()
		if !ok {
			return fmt.Errorf("%w: unit %s is not loaded, so it has no log", errNoSuchUnit, p.Name)
		}
		ring = u.log
	}
	format := func(lines []logstore.Line) api.LogLines {
		out := api.LogLines{Lines: []string{}}
		for _, l := range lines {
			out.Lines = append(out.Lines, l.Format(m.cfg.Hostname))
		}
		return out
	}
	lines, seq, added := ring.Follow(p.Lines)
	if !p.Follow || !c.More {
		return c.Reply(format(lines))
	}
	if err := c.Continue(format(lines)); err != nil {
		return err
	}
	for {
		select {
		case <-added:
			lines, seq, added = ring.Since(seq)
			if err := c.Continue(format(lines)); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
