package cli

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/varlink"
)

func TestJobFailureText(t *testing.T) {
	const ctl = "capsulectl -C obs"
	see := func(u string) string {
		return fmt.Sprintf("\nSee \"capsulectl -C obs status %s\" and \"capsulectl -C obs logs -u %s\" for details.", u, u)
	}
	because := func(why string) string { return "Job for x.service failed because " + why + "." + see("x.service") }
	tests := []struct {
		unit, job, unitResult, want string
	}{
		{"x.service", "failed", "exit-code", because("the control process exited with error code")},
		{"x.service", "failed", "signal", because("a fatal signal was delivered to the control process")},
		{"x.service", "failed", "core-dump", because("a fatal signal was delivered causing the control process to dump core")},
		{"x.service", "failed", "timeout", because("a timeout was exceeded")},
		{"x.service", "failed", "resources", because("of unavailable resources or another system error")},
		{"x.service", "failed", "protocol", because("the service did not take the steps required by its unit configuration")},
		{"x.service", "failed", "watchdog", because("the service failed to send watchdog ping")},
		{"x.service", "failed", "oom-kill", because("of an out-of-memory (OOM) situation")},
		{"x.service", "failed", "start-limit-hit", because("start of the service was attempted too often") +
			"\nTo force a start use \"capsulectl -C obs reset-failed x.service\"\nfollowed by \"capsulectl -C obs start x.service\" again."},
		{"x.service", "failed", "success", "Job for x.service failed." + see("x.service")},
		{"x.service", "failed", "", "Job for x.service failed." + see("x.service")},
		{"x.service", "something-newer", "exit-code", because("the control process exited with error code")},
		{"x.target", "failed", "", "Job failed. " + see("x.target")[1:]},
		{"x.path", "failed", "resources", "Job failed. " + see("x.path")[1:]},
		{"x.service", "dependency", "success", "A dependency job for x.service failed. " + see("x.service")[1:]},
		{"x.service", "assert", "success", "Assertion failed on job for x.service."},
		{"x.service", "canceled", "signal", "Job for x.service canceled."},
		{"x.service", "timeout", "success", "Job for x.service timed out."},
		{"x.service", "invalid", "", "x.service is not active, cannot reload."},
		{"x.service", "unsupported", "", "Operation on or unit type of x.service not supported on this system."},
		{"x.service", "collected", "", "Queued job for x.service was garbage collected."},
		{"x.service", "once", "", "Unit x.service was started already once and can't be started again."},
		{"x.service", "frozen", "", "Cannot perform operation on frozen unit x.service."},
		{"x.service", "concurrency", "", "Concurrency limit of a slice unit x.service is contained in has been reached."},
		// A name a shell would mangle is quoted in the hints (the outer
		// quotes are not escaped, as systemctl's are not).
		{`a\x20b.service`, "failed", "exit-code", "Job for a\\x20b.service failed because the control process exited with error code." +
			"\nSee \"capsulectl -C obs status \"a\\\\x20b.service\"\" and \"capsulectl -C obs logs -u \"a\\\\x20b.service\"\" for details."},
	}
	for _, tt := range tests {
		got := jobFailureText(ctl, tt.unit, api.JobFailure{JobResult: tt.job, UnitResult: tt.unitResult})
		if got != tt.want {
			t.Errorf("%s %s/%s:\n got %q\nwant %q", tt.unit, tt.job, tt.unitResult, got, tt.want)
		}
	}
}

// The manager's own words and unknown result names never reach the
// terminal: only the names pick texts.
func TestJobFailureUntrusted(t *testing.T) {
	params, _ := json.Marshal(map[string]string{"message": "\x1b]0;owned\x07", "jobResult": "failed", "unitResult": "exit-code\x1b[2J"})
	f, ok := jobFailure(&varlink.Error{Name: api.ErrJobFailed, Parameters: params})
	if !ok {
		t.Fatal("JobFailed not recognized")
	}
	want := "Job for x.service failed.\nSee \"c status x.service\" and \"c logs -u x.service\" for details."
	if got := jobFailureText("c", "x.service", f); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	f, ok = jobFailure(&varlink.Error{Name: api.ErrJobCanceled, Parameters: []byte(`{"message":"x"}`)})
	if !ok || jobFailureText("c", "x.service", f) != "Job for x.service canceled." {
		t.Errorf("JobCanceled without results: %+v %v", f, ok)
	}
	f, ok = jobFailure(&varlink.Error{Name: api.ErrStartLimitHit, Parameters: []byte(`{"message":"x"}`)})
	if !ok || f.UnitResult != "start-limit-hit" {
		t.Errorf("StartLimitHit without results: %+v %v", f, ok)
	}
	if _, ok := jobFailure(&varlink.Error{Name: api.ErrNoSuchUnit}); ok {
		t.Error("NoSuchUnit taken for a job failure")
	}
}
