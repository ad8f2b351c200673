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
	// JobTryReloadOrRestart is try-restart that reloads a unit that can.
	JobTryReloadOrRestart JobType = "try-reload-or-restart"
	JobReload             JobType = "reload"
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
	switch typ {
	case JobStart, JobRestart, JobReloadOrRestart, JobReload:
		u, err := m.load(name)
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		state, loadErr, warnings := u.loadState, u.loadErr, len(u.warnings)
		m.mu.Unlock()
		if state != loadLoaded {
			// Refused now, also with --no-block, as systemd refuses it.
			return nil, m.badFileError(name, state, loadErr, warnings)
		}
	case JobStop:
		if err := m.known(name, "loaded"); err != nil {
			return nil, err
		}
	case JobTryRestart, JobTryReloadOrRestart:
		if err := m.known(name, "found"); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: unknown job type %q", errInvalid, typ)
	}
	m.mu.Lock()
	u := m.units[name]
	running := u != nil && !u.active.isInactiveOrFailed()
	failed := u != nil && u.active == stateFailed
	m.mu.Unlock()
	verb, t := "start", job.Start
	switch typ {
	case JobStop:
		verb, t = "stop", job.Stop
	case JobRestart, JobReloadOrRestart, JobTryRestart, JobTryReloadOrRestart:
		// reload-or-restart starts a unit that is not running, as
		// systemctl's does; the queue turns it into a reload for a unit
		// that can reload.
		verb, t = "restart", job.Restart
	case JobReload:
		verb, t = "reload", job.Reload
	}
	j := &QueuedJob{done: make(chan struct{}), u: u}
	try := typ == JobTryRestart || typ == JobTryReloadOrRestart
	if (typ == JobStop && u == nil) || (try && !running) {
		// Not loaded, so stopped already; or nothing to try-restart,
		// where like systemd's a failed unit's state is reset.
		if try && failed {
			m.ResetFailed(name)
		}
		close(j.done)
		return j, nil
	}
	// The transaction is built now: what the queue refuses (a cycle,
	// RefuseManualStart=, isolate without AllowIsolate=) fails the call,
	// also with --no-block.
	req := JobRequest{Unit: name, Type: t, Mode: md, Manual: true,
		ReloadIfPossible: typ == JobReloadOrRestart || typ == JobTryReloadOrRestart}
	_, wait, err := m.Enqueue(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, name, err)
	}
	if j.u == nil {
		m.mu.Lock()
		j.u = m.units[name]
		m.mu.Unlock()
	}
	go func() {
		defer close(j.done)
		res, err := wait(context.WithoutCancel(ctx))
		if err := m.jobFailure(req, res, err); err != nil {
			j.err = fmt.Errorf("%s %s: %w", verb, name, err)
		}
	}()
	return j, nil
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
	j, err := m.Queue(ctx, JobTryRestart, name, "")
	if err != nil {
		return nil, err
	}
	return j.Wait(ctx)
}
