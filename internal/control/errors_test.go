package control

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/manager"
)

func TestErrorName(t *testing.T) {
	tests := []struct {
		err  error
		name string
		msg  string
	}{
		{fmt.Errorf("%w: unit x.service not found", manager.ErrNoSuchUnit), api.ErrNoSuchUnit, "unit x.service not found"},
		{fmt.Errorf("stop x: %w", fmt.Errorf("%w: manager is shutting down", manager.ErrBusy)), api.ErrUnitBusy, "stop x: manager is shutting down"},
		{fmt.Errorf("%w: bad", manager.ErrInvalid), api.ErrInvalidArgument, "bad"},
		{fmt.Errorf("%w: taken", manager.ErrExists), api.ErrUnitExists, "taken"},
		{fmt.Errorf("%w: none", manager.ErrNothing), api.ErrNothingToClean, "none"},
		{fmt.Errorf("x.timer: %w: unit type timer is not supported yet", manager.ErrUnsupported), api.ErrNotSupported, "x.timer: unit type timer is not supported yet"},
		{errors.New("start x: exit code 1"), api.ErrJobFailed, "start x: exit code 1"},
	}
	jobTests := []struct {
		err  error
		name string
		msg  string
	}{
		{fmt.Errorf("start a: %w", fmt.Errorf("%w: %w", manager.ErrBusy, &job.Error{Code: job.CodeDestructive, Msg: "Transaction for a.service/start is destructive (b.service has 'start' job queued, but 'stop' is included in transaction)."})),
			api.ErrTransactionIsDestructive, "Transaction for a.service/start is destructive (b.service has 'start' job queued, but 'stop' is included in transaction)."},
		{fmt.Errorf("start a: %w", fmt.Errorf("%w: %w", manager.ErrBusy, &job.Error{Code: job.CodeJobsConflicting, Msg: "Transaction contains conflicting jobs 'stop' and 'start' for a.service. Probably contradicting requirement dependencies configured."})),
			api.ErrTransactionJobsConflicting, "Transaction contains conflicting jobs 'stop' and 'start' for a.service. Probably contradicting requirement dependencies configured."},
		{fmt.Errorf("cancel job 9: %w", &job.Error{Code: job.CodeNoSuchJob, Msg: "Job 9 does not exist."}), api.ErrNoSuchJob, "Job 9 does not exist."},
		{fmt.Errorf("start a: %w: %w: job for a canceled", manager.ErrJobFailed, manager.ErrJobCanceled), api.ErrJobCanceled, ""},
		{fmt.Errorf("start a: %w", fmt.Errorf("%w: %w", manager.ErrInvalid, &job.Error{Code: job.CodeInvalidArgs, Msg: "Isolate is only valid for start."})),
			api.ErrInvalidArgument, "start a: Isolate is only valid for start."},
	}
	for _, tt := range jobTests {
		if got := errorName(tt.err); got != tt.name {
			t.Errorf("errorName(%q) = %s, want %s", tt.err, got, tt.name)
		}
		if got := errorMessage(tt.err); tt.msg != "" && got != tt.msg {
			t.Errorf("errorMessage(%q) = %q, want %q", tt.err, got, tt.msg)
		}
	}
	for _, tt := range tests {
		if got := errorName(tt.err); got != tt.name {
			t.Errorf("errorName(%q) = %s, want %s", tt.err, got, tt.name)
		}
		if got := manager.Message(tt.err); got != tt.msg {
			t.Errorf("Message(%q) = %q, want %q", tt.err, got, tt.msg)
		}
	}
}

// Every method of the interface definition has a handler, and nothing else.
func TestMethodsCoverInterface(t *testing.T) {
	table := methods()
	defined := map[string]bool{}
	for _, line := range strings.Split(api.Definition, "\n") {
		if rest, ok := strings.CutPrefix(line, "method "); ok {
			name, _, _ := strings.Cut(rest, "(")
			defined[api.Interface+"."+name] = true
		}
	}
	for m := range defined {
		if table[m] == nil {
			t.Errorf("no handler for %s", m)
		}
	}
	for m := range table {
		if !defined[m] {
			t.Errorf("handler for %s, which the interface does not define", m)
		}
	}
}

// A failed job's reply carries the job's and the unit's results as fields.
func TestErrorParams(t *testing.T) {
	f := fmt.Errorf("start x.service: %w", &manager.JobFailure{Unit: "x.service", Job: job.ResultFailed, UnitResult: "exit-code", Err: errors.New("exit status 3")})
	if got, want := errorParams(errorName(f), f), (api.JobFailure{Message: "start x.service: exit status 3", Unit: "x.service", JobResult: "failed", UnitResult: "exit-code"}); got != want {
		t.Errorf("errorParams = %+v, want %+v", got, want)
	}
	c := &manager.JobFailure{Unit: "x.service", Job: job.ResultCanceled, UnitResult: "success", Err: fmt.Errorf("%w: canceled", manager.ErrJobCanceled)}
	if name := errorName(c); name != api.ErrJobCanceled || errorParams(name, c).(api.JobFailure).JobResult != "canceled" {
		t.Errorf("canceled: %s %+v", name, errorParams(name, c))
	}
	plain := fmt.Errorf("%w: unit x.service not found", manager.ErrNoSuchUnit)
	if got := errorParams(errorName(plain), plain); got.(map[string]string)["message"] != "unit x.service not found" {
		t.Errorf("errorParams(not found) = %+v", got)
	}
}
