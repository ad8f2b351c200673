package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/process"
	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// TransientSpec describes a transient service to create and start.
type TransientSpec struct {
	// Unit is the unit's name; empty picks one from CallerPID.
	Unit             string
	Description      string
	Argv             []string
	Environment      []string // NAME=VALUE
	Properties       []string // KEY=VALUE of [Unit] or [Service]
	WorkingDirectory string
	// Stdio, if set, are the service's stdin, stdout and stderr (three
	// files, owned by the manager from the call on); else with TTY, the
	// /dev/pts terminal to use; else output goes to the unit's log.
	Stdio []*os.File
	TTY   string
	// Collect unloads the unit when it ends, even if it failed.
	Collect bool
	// CallerPID names the unit when Unit is empty.
	CallerPID int
	// Timer, if set, are the [Timer] (or [Unit]) KEY=VALUE lines of a
	// transient timer that starts the service instead of starting it now.
	Timer []string
}

// Transient is a started transient service.
type Transient struct {
	Unit         string
	Timer        string // the transient timer that starts Unit, if any
	InvocationID string
	MainPID      int
	// Warnings are what loading the unit found to ignore (a bad value, a
	// setting not acted on), for run to print as systemd-run would.
	Warnings []string

	m  *Manager
	u  *Unit
	rs *runState
}

// TransientExit is how a transient service's run ended.
type TransientExit struct {
	Result     string
	ExitCode   string
	ExitStatus int
	// Runtime is from the unit's start to its end (0: not known); CPU
	// the CPU time its processes used (-1: not known), as systemd-run's
	// summary prints them.
	Runtime time.Duration
	CPU     time.Duration
}

// Wait returns how the run ended, once it has.
func (t *Transient) Wait(ctx context.Context) (TransientExit, error) {
	select {
	case <-t.rs.done:
	case <-ctx.Done():
		return TransientExit{}, ctx.Err()
	}
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	x := TransientExit{Result: t.u.result.String(), ExitCode: t.u.exitCode, ExitStatus: t.u.exitStatus, CPU: -1}
	if st := t.u.stamps; st.inactiveEnter.mono > st.inactiveExit.mono && st.inactiveExit.mono > 0 {
		x.Runtime = time.Duration(st.inactiveEnter.mono-st.inactiveExit.mono) * time.Microsecond
	}
	if t.rs.cpuNSec >= 0 && t.rs.cgroup != "" {
		x.CPU = time.Duration(t.rs.cpuNSec)
	}
	return x, nil
}

// RunTransient writes a transient service from spec, starts it and returns
// once the start job is done; the job outlives ctx.
func (m *Manager) RunTransient(ctx context.Context, p TransientSpec) (*Transient, error) {
	if len(p.Argv) == 0 {
		return nil, fmt.Errorf("%w: no command given", errInvalid)
	}
	name := p.Unit
	if name == "" {
		name = fmt.Sprintf("run-p%d-i%s.service", p.CallerPID, newInvocationID()[:8])
	} else if base, ok := strings.CutSuffix(name, ".timer"); ok && len(p.Timer) > 0 {
		// systemd-run --unit=NAME.timer: the service is named after it.
		name = base + ".service"
	} else if !strings.Contains(name, ".") {
		name += ".service"
	}
	n, err := unit.ParseName(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errInvalid, err)
	}
	if n.Type != "service" || n.IsTemplate() {
		return nil, fmt.Errorf("%w: %s: only service units can be run", errInvalid, name)
	}
	var spec *stdioSpec
	switch {
	case p.Stdio != nil:
		if len(p.Stdio) != 3 {
			return nil, fmt.Errorf("%w: stdio needs 3 descriptors, got %d", errInvalid, len(p.Stdio))
		}
		spec = &stdioSpec{files: p.Stdio}
	case p.TTY != "":
		if !strings.HasPrefix(p.TTY, "/dev/pts/") {
			return nil, fmt.Errorf("%w: pty %q is not a /dev/pts terminal", errInvalid, p.TTY)
		}
		spec = &stdioSpec{tty: p.TTY}
	}
	names := []string{name}
	if len(p.Timer) > 0 {
		// The timer is what systemd-run creates first: a clash names it.
		names = []string{strings.TrimSuffix(name, ".service") + ".timer", name}
	}
	for _, name := range names {
		if err := m.transientFree(name); err != nil {
			return nil, err
		}
	}
	file := filepath.Join(m.cfg.RuntimeDir, "transient", name)
	// Resolve the program now, as systemd-run does, so a typo fails here
	// and argv[0] is kept exactly as given.
	path, err := process.LookPath(p.Argv[0], process.SearchPath(m.cfg.BinDir, ""))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errInvalid, err)
	}
	text, err := transientFile(&p, path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errInvalid, err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("write transient unit: %w", err)
	}
	u, err := m.load(name)
	if err != nil {
		os.Remove(file)
		return nil, err
	}
	warnings := m.transientWarnings(u, file)
	if len(p.Timer) > 0 {
		t, err := m.startTransientTimer(ctx, p, u)
		if t != nil {
			t.Warnings = append(warnings, t.Warnings...)
		}
		return t, err
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
		// A unit whose start failed stays, failed, for status to show
		// until reset-failed, as systemd keeps it; with Collect it goes.
		if u != nil {
			m.collect(u)
		}
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &Transient{Unit: name, InvocationID: u.run.invocation, Warnings: warnings, m: m, u: u, rs: u.run}
	if u.run.main != nil {
		t.MainPID = u.run.main.PID
	}
	return t, nil
}

// transientWarnings are the load warnings of u, read from file, without
// the file's name and line: the caller gave the settings as options, not
// as a file.
func (m *Manager) transientWarnings(u *Unit, file string) []string {
	m.mu.Lock()
	ws := append(slices.Clone(u.warnings), m.modeWarnings(u)...)
	m.mu.Unlock()
	for i, w := range ws {
		if rest, ok := strings.CutPrefix(w, file+":"); ok {
			if _, msg, ok := strings.Cut(rest, ": "); ok {
				ws[i] = msg
			}
		}
	}
	return ws
}

// transientFile renders a transient service as a unit file, so it is
// loaded like any other; path is the resolved program.
func transientFile(p *TransientSpec, path string) (string, error) {
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
		if unitconf.Known("Unit", k) {
			unitSec = append(unitSec, k+"="+v)
		} else if unitconf.Known("Service", k) {
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

// transientFree refuses a transient unit name that is loaded or has a
// file, as systemd does.
func (m *Manager) transientFree(name string) error {
	m.mu.Lock()
	_, loaded := m.units[name]
	m.mu.Unlock()
	if _, err := os.Stat(filepath.Join(m.cfg.RuntimeDir, "transient", name)); loaded || err == nil {
		return fmt.Errorf("%w: unit %s was already loaded or has a fragment file; choose another --unit= name", errExists, name)
	}
	if f, err := m.loader.Load(name); err == nil {
		return fmt.Errorf("%w: unit %s already exists (%s); choose another --unit= name", errExists, name, f.Fragment)
	}
	return nil
}
