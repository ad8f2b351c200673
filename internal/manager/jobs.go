package manager

import (
	"errors"
	"fmt"

	"github.com/capsuled/capsuled/internal/job"
)

// JobRef names one installed job.
type JobRef struct {
	ID    uint32
	Unit  string
	Type  string
	State string
}

// JobInfo is one installed job as list-jobs shows it.
type JobInfo struct {
	JobRef
	// WaitingFor lists the jobs that must end before this one may run
	// (list-jobs --before); Blocking the jobs that wait for this one
	// (list-jobs --after). Both by ID.
	WaitingFor, Blocking []JobRef
}

func refOf(j job.Job) JobRef {
	return JobRef{ID: j.ID, Unit: j.Unit, Type: j.Type.String(), State: j.State.String()}
}

// ListJobs lists the installed jobs by ID, with the jobs each waits for
// and blocks.
func (m *Manager) ListJobs() []JobInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.q == nil {
		return nil
	}
	var out []JobInfo
	for _, j := range m.q.Jobs() {
		ji := JobInfo{JobRef: refOf(j)}
		for _, o := range m.q.WaitingFor(j.ID) {
			ji.WaitingFor = append(ji.WaitingFor, refOf(o))
		}
		for _, o := range m.q.Blocking(j.ID) {
			ji.Blocking = append(ji.Blocking, refOf(o))
		}
		out = append(out, ji)
	}
	return out
}

// CancelJob cancels the installed job id, as systemctl cancel does: start
// jobs that need it fail with it, and its caller is told "canceled". Unlike
// systemd, which lets a unit whose running start job is canceled go on
// starting without a job, the unit's start is interrupted, as when a
// conflicting job replaces it: a start left running without a job would
// hold the unit until it ends, and a stop would wait for that.
func (m *Manager) CancelJob(id uint32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.q == nil {
		return noSuchJob(id)
	}
	if _, ok := m.q.Get(id); !ok {
		return noSuchJob(id)
	}
	eff, err := m.q.Cancel(id)
	m.absorbLocked(eff)
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	m.kick()
	return nil
}

// CancelAllJobs cancels every installed job (systemctl cancel without IDs).
func (m *Manager) CancelAllJobs() {
	for _, j := range m.ListJobs() {
		// A job may end meanwhile, or with one canceled before it.
		if err := m.CancelJob(j.ID); err != nil && !errors.Is(err, job.ErrNoSuchJob) {
			m.logf(nil, "Failed to cancel job %d: %v", j.ID, err)
		}
	}
}

// UnitJob returns the ID of the unit's installed job, if it has one (the
// Job= property).
func (m *Manager) UnitJob(name string) (uint32, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.q == nil {
		return 0, false
	}
	j, ok := m.q.UnitJob(name)
	return j.ID, ok
}

// unitJobLocked is UnitJob for callers holding m.mu.
func (m *Manager) unitJobLocked(name string) (uint32, bool) {
	if m.q == nil {
		return 0, false
	}
	j, ok := m.q.UnitJob(name)
	return j.ID, ok
}

func noSuchJob(id uint32) error {
	return &job.Error{Code: job.CodeNoSuchJob, Msg: fmt.Sprintf("Job %d does not exist.", id)}
}

// installedJobs is the number of installed jobs (NJobs=).
func (m *Manager) installedJobs() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.q == nil {
		return 0
	}
	return m.q.Len()
}

// jobsInstalledEver counts the jobs installed since the manager started
// (NInstalledJobs=).
func (m *Manager) jobsInstalledEver() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.q == nil {
		return 0
	}
	return m.q.InstalledEver()
}

// ErrJobCanceled marks a job that was canceled (systemctl cancel, or
// replaced by a conflicting job) before it was done.
var ErrJobCanceled = errors.New("job canceled")
