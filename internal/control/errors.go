package control

import (
	"errors"
	"fmt"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/manager"
)

// errorNames maps the engine's error kinds to the interface's error names;
// anything else is a failed job.
var errorNames = []struct {
	kind error
	name string
}{
	{manager.ErrJobCanceled, api.ErrJobCanceled},
	{manager.ErrStartLimitHit, api.ErrStartLimitHit},
	{manager.ErrNoSuchUnit, api.ErrNoSuchUnit},
	{manager.ErrBusy, api.ErrUnitBusy},
	{manager.ErrInvalid, api.ErrInvalidArgument},
	{manager.ErrExists, api.ErrUnitExists},
	{manager.ErrNothing, api.ErrNothingToClean},
	{manager.ErrUnsupported, api.ErrNotSupported},
}

// jobErrorNames maps the job queue's refusals, which carry systemd's
// D-Bus error and text, to the interface's names for them.
var jobErrorNames = map[job.Code]string{
	job.CodeNoSuchJob:        api.ErrNoSuchJob,
	job.CodeDestructive:      api.ErrTransactionIsDestructive,
	job.CodeJobsConflicting:  api.ErrTransactionJobsConflicting,
	job.CodeOrderIsCyclic:    api.ErrTransactionOrderIsCyclic,
	job.CodeNoIsolation:      api.ErrNoIsolation,
	job.CodeOnlyByDependency: api.ErrOnlyByDependency,
	job.CodeNotApplicable:    api.ErrJobTypeNotApplicable,
}

// errorName is the varlink error name for err.
func errorName(err error) string {
	var je *job.Error
	if errors.As(err, &je) {
		if name, ok := jobErrorNames[je.Code]; ok {
			return name
		}
	}
	for _, e := range errorNames {
		if errors.Is(err, e.kind) {
			return e.name
		}
	}
	return api.ErrJobFailed
}

// errorMessage is err's text for the caller: the job queue's own text
// (systemd's words, which capsulectl prints after "Failed to start X: ")
// for its refusals, the engine's message otherwise.
func errorMessage(err error) string {
	var je *job.Error
	if errors.As(err, &je) {
		// A required unit that is not found is named in systemd's words
		// too ("Unit X not found."), without the engine's context.
		if _, ok := jobErrorNames[je.Code]; ok || je.Code == job.CodeNoSuchUnit {
			return je.Msg
		}
	}
	return manager.Message(err)
}

// errorParams is the parameters of err's reply: its message and, for a
// job that ended badly, the job's and the unit's results as typed fields.
func errorParams(name string, err error) any {
	msg := errorMessage(err)
	var f *manager.JobFailure
	if (name == api.ErrJobFailed || name == api.ErrJobCanceled || name == api.ErrStartLimitHit) && errors.As(err, &f) {
		return api.JobFailure{Message: msg, Unit: f.Unit, JobResult: f.Job.String(), UnitResult: f.UnitResult}
	}
	return map[string]string{"message": msg}
}

// invalid marks a call's parameters that could not be decoded.
func invalid(err error) error { return fmt.Errorf("%w: %v", manager.ErrInvalid, err) }
