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

// checkJobMode accepts the modes this engine implements and refuses the
// others: an unknown mode as invalid, a known one it cannot honour yet as
// unsupported, so no mode is silently taken for another.
func checkJobMode(mode string) error {
	if mode == "" {
		return nil
	}
	jm, err := job.ParseMode(mode)
	if err != nil {
		return fmt.Errorf("%w: %v", errInvalid, err)
	}
	if jm != job.Replace {
		return fmt.Errorf("%w: job mode %s is not supported yet; only replace is", errUnsupported, mode)
	}
	return nil
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
	if err := checkJobMode(mode); err != nil {
		return nil, err
	}
	var run func(context.Context) (*Unit, error)
	switch typ {
	case JobStart:
		run = func(ctx context.Context) (*Unit, error) { return m.Start(ctx, name) }
	case JobStop:
		run = func(ctx context.Context) (*Unit, error) { return m.Stop(ctx, name) }
	case JobRestart, JobReloadOrRestart:
		// No unit reloads yet (ExecReload=), so reload-or-restart restarts,
		// starting a unit that is not running, as systemctl's does.
		run = func(ctx context.Context) (*Unit, error) { return m.Restart(ctx, name) }
	case JobTryRestart:
		run = func(ctx context.Context) (*Unit, error) { return m.TryRestart(ctx, name) }
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
	j := &QueuedJob{done: make(chan struct{})}
	go func() {
		defer close(j.done)
		j.u, j.err = run(context.WithoutCancel(ctx))
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
	m.mu.Lock()
	u, ok := m.units[name]
	running := ok && (u.active == stateActive || u.active == stateActivating || u.active == stateReloading)
	failed := ok && u.active == stateFailed
	m.mu.Unlock()
	switch {
	case running:
		return m.Restart(ctx, name)
	case failed:
		m.ResetFailed(name)
	}
	return u, nil
}
