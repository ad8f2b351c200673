package manager

import (
	"context"
	"errors"
	"fmt"
	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/unit"
)

// JobType is what a queued job does to its unit.
type JobType string

// The job types a caller can queue.
const (
	JobStart           JobType = "start"
	JobStop            JobType = "stop"
	JobRestart         JobType = "restart"
	JobTryRestart      JobType = "try-restart"
	JobReloadOrRestart JobType = "reload-or-restart"
)

// parseJobMode turns a --job-mode= value into the queue's mode; an unknown
// mode is invalid.
func parseJobMode(mode string) (job.Mode, error) {
	if mode == "" {
		return job.Replace, nil
	}
	md, err := job.ParseMode(mode)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errInvalid, err)
	}
	return md, nil
}

// QueuedJob is a job that runs on after Queue returned.
type QueuedJob struct {
	done chan struct{}
	u    *Unit
	err  error
}

// Wait returns the job's unit and error once it is done, or ctx's error.
func (j *QueuedJob) Wait(ctx context.Context) (*Unit, error) {
	select {
	case <-j.done:
		return j.u, j.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Queue checks a job (its mode, that its unit exists) and runs it in the
// background; what Queue refuses is refused before anything changes. The
// job outlives ctx's cancellation.
func (m *Manager) Queue(ctx context.Context, typ JobType, name, mode string) (*QueuedJob, error) {
	md, err := parseJobMode(mode)
	if err != nil {
		return nil, err
	}
	var run func(context.Context) (*Unit, error)
	switch typ {
	case JobStart:
		run = func(ctx context.Context) (*Unit, error) { return m.startJob(ctx, name, job.Start, md, true) }
	case JobStop:
		run = func(ctx context.Context) (*Unit, error) { return m.stopJob(ctx, name, md, true) }
	case JobRestart, JobReloadOrRestart:
		// No unit reloads yet (ExecReload=), so reload-or-restart restarts,
		// starting a unit that is not running, as systemctl's does.
		run = func(ctx context.Context) (*Unit, error) { return m.startJob(ctx, name, job.Restart, md, true) }
	case JobTryRestart:
		run = func(ctx context.Context) (*Unit, error) { return m.tryRestart(ctx, name, md) }
	default:
		return nil, fmt.Errorf("%w: unknown job type %q", errInvalid, typ)
	}
	switch typ {
	case JobStart, JobRestart, JobReloadOrRestart:
		u, err := m.load(name)
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		state, loadErr := u.loadState, u.loadErr
		m.mu.Unlock()
		if state != loadLoaded {
			// Refused now, also with --no-block, as systemd refuses it.
			return nil, fmt.Errorf("%w: unit %s has a bad unit file (%s); fix it, then run capsulectl daemon-reload", errInvalid, name, loadErr)
		}
	case JobStop:
		if err := m.known(name, "loaded"); err != nil {
			return nil, err
		}
	default:
		if err := m.known(name, "found"); err != nil {
			return nil, err
		}
	}
	if err := m.checkRefused(name, typ); err != nil {
		return nil, err
	}
	j := &QueuedJob{done: make(chan struct{})}
	go func() {
		defer close(j.done)
		j.u, j.err = run(context.WithoutCancel(ctx))
	}()
	return j, nil
}

// checkRefused refuses at once what the queue would refuse for a manual
// request (RefuseManualStart=/Stop=), so --no-block reports it too.
func (m *Manager) checkRefused(name string, typ JobType) error {
	m.mu.Lock()
	u := m.units[name]
	m.mu.Unlock()
	if u == nil || u.conf == nil {
		return nil
	}
	c := u.conf.Unit
	start := typ == JobStart || typ == JobRestart || typ == JobReloadOrRestart || typ == JobTryRestart
	stop := typ == JobStop || typ == JobRestart || typ == JobReloadOrRestart || typ == JobTryRestart
	if typ == JobTryRestart {
		m.mu.Lock()
		running := !u.active.isInactiveOrFailed()
		m.mu.Unlock()
		start, stop = start && running, stop && running
	}
	if (start && c.RefuseManualStart) || (stop && c.RefuseManualStop) {
		return fmt.Errorf("%w: Operation refused, unit %s may be requested by dependency only (it is configured to refuse manual start/stop)", errBusy, name)
	}
	return nil
}

// known fails with ErrNoSuchUnit ("unit NAME not <what>") for a unit
// neither loaded nor on disk.
func (m *Manager) known(name, what string) error {
	m.mu.Lock()
	_, ok := m.units[name]
	m.mu.Unlock()
	if ok {
		return nil
	}
	if _, err := unit.ParseName(name); err != nil {
		return fmt.Errorf("%w: %v", errInvalid, err)
	}
	if _, err := m.loader.Load(name); errors.Is(err, unit.ErrNotFound) {
		return fmt.Errorf("%w: unit %s not %s", errNoSuchUnit, name, what)
	}
	return nil
}

// TryRestart restarts name if it is running (active, activating or
// reloading) and otherwise leaves it stopped; like systemd's, it resets a
// failed unit's state.
func (m *Manager) TryRestart(ctx context.Context, name string) (*Unit, error) {
	return m.tryRestart(ctx, name, job.Replace)
}

func (m *Manager) tryRestart(ctx context.Context, name string, md job.Mode) (*Unit, error) {
	m.mu.Lock()
	u, ok := m.units[name]
	running := ok && !u.active.isInactiveOrFailed()
	failed := ok && u.active == stateFailed
	m.mu.Unlock()
	switch {
	case running:
		return m.startJob(ctx, name, job.Restart, md, true)
	case failed:
		m.ResetFailed(name)
	}
	return u, nil
}
