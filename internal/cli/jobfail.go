package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/escape"
	"github.com/capsuled/capsuled/internal/varlink"
)

// jobResultTexts is what systemctl says for a job that ended with a result
// other than done, failed or dependency; %s is the unit.
var jobResultTexts = map[string]string{
	"canceled":    "Job for %s canceled.",
	"timeout":     "Job for %s timed out.",
	"invalid":     "%s is not active, cannot reload.",
	"assert":      "Assertion failed on job for %s.",
	"unsupported": "Operation on or unit type of %s not supported on this system.",
	"collected":   "Queued job for %s was garbage collected.",
	"once":        "Unit %s was started already once and can't be started again.",
	"frozen":      "Cannot perform operation on frozen unit %s.",
	"concurrency": "Concurrency limit of a slice unit %s is contained in has been reached.",
}

// unitResultReasons completes "Job for X failed because ..." from a
// service's Result= when its job failed.
var unitResultReasons = map[string]string{
	"resources":       "of unavailable resources or another system error",
	"protocol":        "the service did not take the steps required by its unit configuration",
	"timeout":         "a timeout was exceeded",
	"exit-code":       "the control process exited with error code",
	"signal":          "a fatal signal was delivered to the control process",
	"core-dump":       "a fatal signal was delivered causing the control process to dump core",
	"watchdog":        "the service failed to send watchdog ping",
	"start-limit-hit": "start of the service was attempted too often",
	"oom-kill":        "of an out-of-memory (OOM) situation",
}

// jobFailure decodes the job and unit results of a JobFailed,
// JobCanceled or StartLimitHit error; ok is false for any other error.
func jobFailure(err error) (f api.JobFailure, ok bool) {
	var ve *varlink.Error
	if !errors.As(err, &ve) || (ve.Name != api.ErrJobFailed && ve.Name != api.ErrJobCanceled && ve.Name != api.ErrStartLimitHit) {
		return f, false
	}
	// Parameters that do not decode leave the generic message.
	_ = json.Unmarshal(ve.Parameters, &f)
	if f.JobResult == "" {
		f.JobResult = "failed"
		if ve.Name == api.ErrJobCanceled {
			f.JobResult = "canceled"
		}
	}
	if f.UnitResult == "" && ve.Name == api.ErrStartLimitHit {
		f.UnitResult = "start-limit-hit"
	}
	return f, true
}

// jobFailureText is what capsulectl prints when the job for unit name ended
// with f, in systemctl's words; ctl is the command's own prefix
// ("capsulectl -C NAME"). Only the names of results the manager sent pick
// texts: its own words are never printed, a capsule's manager being
// untrusted.
func jobFailureText(ctl, name string, f api.JobFailure) string {
	name = escape.Text(name)
	if t, ok := jobResultTexts[f.JobResult]; ok {
		return fmt.Sprintf(t, name)
	}
	q := shellQuote(name)
	// systemctl points to "journalctl -xe" here; there is no journal, the
	// unit's status and logs hold what it would show.
	see := fmt.Sprintf("See \"%s status %s\" and \"%s logs -u %s\" for details.", ctl, q, ctl, q)
	if f.JobResult == "dependency" {
		return fmt.Sprintf("A dependency job for %s failed. %s", name, see)
	}
	if !strings.HasSuffix(name, ".service") {
		return "Job failed. " + see
	}
	var b strings.Builder
	if reason, ok := unitResultReasons[f.UnitResult]; ok {
		fmt.Fprintf(&b, "Job for %s failed because %s.\n", name, reason)
	} else {
		fmt.Fprintf(&b, "Job for %s failed.\n", name)
	}
	b.WriteString(see)
	if f.UnitResult == "start-limit-hit" {
		fmt.Fprintf(&b, "\nTo force a start use \"%s reset-failed %s\"\nfollowed by \"%s start %s\" again.", ctl, q, ctl, q)
	}
	return b.String()
}

// shellQuote quotes s for a shell when it holds anything but the
// characters unit names usually have.
func shellQuote(s string) string {
	const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@:+-/,=%"
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !strings.ContainsRune(safe, r) }) {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return `"` + r.Replace(s) + `"`
}
