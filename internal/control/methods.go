package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/logstore"
	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/varlink"
)

// method answers one call; an error it returns is sent as the call's
// error reply.
type method func(ctx context.Context, m *manager.Manager, c *varlink.Call) error

// methods is the interface: one entry per api method.
func methods() map[string]method {
	return map[string]method{
		api.MethodGetManager:         getManager,
		api.MethodListUnits:          listUnits,
		api.MethodGetUnit:            getUnit,
		api.MethodStartUnit:          jobMethod(manager.JobStart),
		api.MethodRestartUnit:        jobMethod(manager.JobRestart),
		api.MethodStopUnit:           jobMethod(manager.JobStop),
		api.MethodTryRestart:         jobMethod(manager.JobTryRestart),
		api.MethodReloadOrRestart:    jobMethod(manager.JobReloadOrRestart),
		api.MethodTryReloadOrRestart: jobMethod(manager.JobTryReloadOrRestart),
		api.MethodReloadUnit:         jobMethod(manager.JobReload),
		api.MethodGetProperties:      getProperties,
		api.MethodResetFailed:        resetFailed,
		api.MethodCleanUnit:          cleanUnit,
		api.MethodEnableUnit:         enableUnit,
		api.MethodDisableUnit:        disableUnit,
		api.MethodUnitFileState:      unitFileState,
		api.MethodGetLogs:            getLogs,
		api.MethodReload:             reload,
		api.MethodRunTransient:       runTransient,
		api.MethodListJobs:           listJobs,
		api.MethodCancelJob:          cancelJob,
		api.MethodGetEnvironment:     getEnvironment,
		api.MethodSetEnvironment:     setEnvironment,
		api.MethodUnsetEnv:           unsetEnvironment,
		api.MethodCatUnit:            catUnit,
		api.MethodKillUnit:           killUnit,
		api.MethodListUnitFiles:      listUnitFiles,
		api.MethodMaskUnit:           maskUnit,
		api.MethodUnmaskUnit:         unmaskUnit,
		api.MethodEditUnit:           editUnit,
	}
}

// jobContext is the context of a job a call queues: jobs outlive the call
// (^C on capsulectl start does not cancel a half-done start).
func jobContext(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// decode reads a call's parameters into v.
func decode(c *varlink.Call, v any) error {
	if err := c.Decode(v); err != nil {
		return invalid(err)
	}
	return nil
}

func getManager(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	return c.Reply(managerOf(m.Status()))
}

func listUnits(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var out api.UnitList
	for _, s := range m.Units() {
		out.Units = append(out.Units, unitOf(s))
	}
	return c.Reply(out)
}

func getUnit(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.UnitName
	if err := decode(c, &p); err != nil {
		return err
	}
	p.Name = m.Canonical(p.Name)
	s, err := m.UnitStatus(p.Name, p.Lines, p.Brief)
	if err != nil {
		return err
	}
	return c.Reply(unitOf(s))
}

// jobMethod queues a job of type typ and replies when it is done or, with
// noBlock, at once.
func jobMethod(typ manager.JobType) method {
	return func(ctx context.Context, m *manager.Manager, c *varlink.Call) error {
		var p api.Job
		if err := decode(c, &p); err != nil {
			return err
		}
		p.Name = m.Canonical(p.Name)
		j, err := m.Queue(jobContext(ctx), typ, p.Name, p.Mode)
		if err != nil {
			return err
		}
		if p.NoBlock {
			s, err := m.UnitStatus(p.Name, 0, true)
			if err != nil {
				return err
			}
			return c.Reply(unitOf(s))
		}
		u, err := j.Wait(ctx)
		if err != nil {
			return err
		}
		if u == nil {
			// Not loaded, but it has a file: it is stopped already.
			return c.Reply(api.Unit{Name: p.Name, LoadState: "loaded", ActiveState: "inactive", SubState: "dead"})
		}
		return c.Reply(unitOf(m.Summary(u)))
	}
}

func getProperties(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.PropertiesRequest
	if err := decode(c, &p); err != nil {
		return err
	}
	props, err := m.Properties(m.Canonical(p.Name))
	if err != nil {
		return err
	}
	out := api.Properties{Properties: []api.Property{}}
	for _, p := range props {
		out.Properties = append(out.Properties, api.Property{Name: p.Name, Value: p.Value})
	}
	return c.Reply(out)
}

func resetFailed(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.UnitName
	if err := decode(c, &p); err != nil {
		return err
	}
	m.ResetFailed(m.Canonical(p.Name))
	return c.Reply(struct{}{})
}

func cleanUnit(ctx context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.Clean
	if err := decode(c, &p); err != nil {
		return err
	}
	removed, err := m.Clean(jobContext(ctx), m.Canonical(p.Name), p.What)
	if err != nil {
		return err
	}
	return c.Reply(api.Cleaned{Removed: removed})
}

func enableUnit(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	return install(c, m.Enable)
}

func disableUnit(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	return install(c, m.Disable)
}

// install runs enable or disable.
func install(c *varlink.Call, op func(string) ([]manager.Change, error)) error {
	var p api.UnitName
	if err := decode(c, &p); err != nil {
		return err
	}
	changes, err := op(p.Name)
	if errors.Is(err, manager.ErrNoInstallInfo) {
		return c.Reply(api.Changes{NoInstallInfo: true})
	}
	if err != nil {
		return err
	}
	return c.Reply(changesOf(changes))
}

func unitFileState(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.UnitName
	if err := decode(c, &p); err != nil {
		return err
	}
	st, err := m.UnitFileState(p.Name)
	if err != nil {
		return err
	}
	return c.Reply(api.FileState{State: st})
}

func reload(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	m.ReloadRequested(int(c.Peer.PID))
	return c.Reply(struct{}{})
}

// getLogs answers GetLogs, following the log while the caller listens.
func getLogs(ctx context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.LogsRequest
	if err := decode(c, &p); err != nil {
		return err
	}
	follow := p.Follow && c.More
	q := logstore.NewQuery(p.Lines)
	q.Units, q.Invocation = p.Units, p.Invocation
	if p.Name != "" {
		q.Units = append(q.Units, p.Name)
	}
	if p.Since != 0 {
		q.Since = time.UnixMicro(p.Since)
	}
	if p.Until != 0 {
		q.Until = time.UnixMicro(p.Until)
	}
	if p.Priority != nil {
		if *p.Priority < 0 || *p.Priority > 7 {
			return fmt.Errorf("%w: priority %d is not 0-7", manager.ErrInvalid, *p.Priority)
		}
		q.MaxPriority = *p.Priority
	}
	host := m.Hostname()
	return m.Logs(ctx, q, follow, func(lines []logstore.Line) error {
		r := api.LogLines{Hostname: host, Entries: make([]api.LogEntry, 0, len(lines))}
		for _, l := range lines {
			r.Entries = append(r.Entries, api.LogEntry{Time: l.Time.UnixMicro(), Unit: l.Unit, Ident: l.Ident,
				PID: l.PID, Priority: l.Priority, Invocation: l.Invoc, Manager: l.Manager, Message: l.Message})
		}
		if !follow {
			return c.Reply(r)
		}
		return c.Continue(r)
	})
}

// runTransient creates a transient service from a RunTransient call,
// starts it and, with wait, reports how it ended.
func runTransient(ctx context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.Run
	if err := decode(c, &p); err != nil {
		return err
	}
	spec := manager.TransientSpec{Unit: p.Unit, Description: p.Description, Argv: p.Argv,
		Environment: p.Environment, Properties: p.Properties, WorkingDirectory: p.WorkingDirectory,
		Collect: p.Collect, CallerPID: int(c.Peer.PID), Timer: p.Timer}
	if len(p.Timer) > 0 && (p.Wait || p.Stdio != "" && p.Stdio != api.StdioLog) {
		return fmt.Errorf("%w: a transient timer's service cannot be waited for or given stdio", manager.ErrInvalid)
	}
	switch p.Stdio {
	case "", api.StdioLog:
	case api.StdioFDs:
		if len(c.Files) != 3 {
			return fmt.Errorf("%w: stdio \"fds\" needs 3 descriptors, got %d", manager.ErrInvalid, len(c.Files))
		}
		spec.Stdio = c.Files
	case api.StdioPTY:
		if p.PTY == "" {
			return fmt.Errorf("%w: pty %q is not a /dev/pts terminal", manager.ErrInvalid, p.PTY)
		}
		spec.TTY = p.PTY
	default:
		return fmt.Errorf("%w: unknown stdio mode %q", manager.ErrInvalid, p.Stdio)
	}
	t, err := m.RunTransient(ctx, spec)
	if err != nil {
		return err
	}
	reply := api.RunReply{Unit: t.Unit, InvocationID: t.InvocationID, MainPID: t.MainPID, Timer: t.Timer, Warnings: t.Warnings}
	if !p.Wait {
		return c.Reply(reply)
	}
	if err := c.Continue(reply); err != nil {
		return err
	}
	exit, err := t.Wait(ctx)
	if err != nil {
		return err
	}
	reply.Done = true
	reply.Result, reply.ExitCode, reply.ExitStatus = exit.Result, exit.ExitCode, exit.ExitStatus
	if exit.Runtime > 0 {
		us := exit.Runtime.Microseconds()
		reply.RuntimeUSec = &us
	}
	if exit.CPU >= 0 {
		ns := exit.CPU.Nanoseconds()
		reply.CPUUsageNSec = &ns
	}
	return c.Reply(reply)
}
