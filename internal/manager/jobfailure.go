package manager

import (
	"errors"
	"github.com/capsuled/capsuled/internal/logstore"

	"github.com/capsuled/capsuled/internal/job"
)

// JobFailure is a job that ended with a result other than done. It carries
// the job's result and the unit's Result= at that moment, which is what
// systemctl words its message from ("Job for X failed because the control
// process exited with error code."); faces pass both on as typed fields.
type JobFailure struct {
	Unit       string
	Job        job.Result
	UnitResult string // systemd's name, "exit-code", "start-limit-hit", ...
	Err        error  // the engine's own account, for logs and Error
}

func (e *JobFailure) Error() string { return e.Err.Error() }
func (e *JobFailure) Unwrap() error { return e.Err }

// jobFailure is resultError with the unit's Result= attached.
func (m *Manager) jobFailure(r JobRequest, res job.Result, err error) error {
	err = resultError(r, res, err)
	if err == nil {
		return nil
	}
	if errors.Is(err, errAssert) {
		res = job.ResultAssert
	}
	f := &JobFailure{Unit: r.Unit, Job: res, Err: err}
	m.mu.Lock()
	if u := m.units[r.Unit]; u != nil {
		f.UnitResult = u.result.String()
	}
	m.mu.Unlock()
	return f
}

// logTaskError puts why a unit could not be set up or spawned into its
// log, where systemd puts it too: a failed job's message only says how
// the unit ended ("because of unavailable resources ...").
func (m *Manager) logTaskError(u *Unit, err error) {
	m.logAt(u, logstore.PriorityWarning, "%s: Failed to run 'start' task: %s", u.name, Message(err))
}
