package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/varlink"
)

// listJobs prints the installed jobs as systemctl list-jobs does, with
// --after/--before the jobs each blocks or waits for.
func (c *ctl) listJobs(patterns []string) error {
	var l api.JobList
	if err := c.t.client.Call(api.MethodListJobs, struct{}{}, &l); err != nil {
		return fail(exitFailure, "Failed to list jobs: %v", err)
	}
	var shown []api.JobInfo
	for _, j := range l.Jobs {
		if len(patterns) == 0 || matchAny(patterns, j.Unit) {
			shown = append(shown, j)
		}
	}
	if c.o.output == "json" {
		if shown == nil {
			shown = []api.JobInfo{}
		}
		return c.json(shown)
	}
	printJobTable(c.io.Stdout, shown, c.o.after, c.o.before, !c.o.noLegend)
	return nil
}

// printJobTable is systemctl list-jobs' table: left-aligned columns one
// space apart, "-" for empty cells, the last column unpadded. A job's
// --after/--before lines start with "└─" in the JOB column and a TAB in
// the UNIT column, which systemd counts as 8 columns wide.
func printJobTable(w io.Writer, jobs []api.JobInfo, after, before, legend bool) {
	if len(jobs) == 0 {
		if legend {
			fmt.Fprintln(w, "No jobs running.")
		}
		return
	}
	var rows [][4]string
	if legend {
		rows = append(rows, [4]string{"JOB", "UNIT", "TYPE", "STATE"})
	}
	related := func(prefix string, refs []api.JobRef) {
		for _, o := range refs {
			rows = append(rows, [4]string{"└─", fmt.Sprintf("\t%s %d (%s/%s)", prefix, o.ID,
				printable(o.Unit), printable(o.Type)), "-", "-"})
		}
	}
	for _, j := range jobs {
		rows = append(rows, [4]string{strconv.FormatUint(uint64(j.ID), 10), printable(j.Unit),
			printable(j.Type), printable(j.State)})
		if after {
			related("blocking job", j.Blocking)
		}
		if before {
			related("waiting for job", j.WaitingFor)
		}
	}
	var width [4]int
	for _, r := range rows {
		for i, cell := range r {
			width[i] = max(width[i], cellWidth(cell))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-cellWidth(cell)))
			}
		}
		fmt.Fprintln(w, b.String())
	}
	if legend {
		fmt.Fprintf(w, "\n%d jobs listed.\n", len(jobs))
	}
}

// cellWidth is how many columns systemd's table reserves for s: a TAB
// counts 8.
func cellWidth(s string) int {
	return utf8.RuneCountInString(s) + 7*strings.Count(s, "\t")
}

// cancel cancels the jobs named by ID, or all jobs without IDs, as
// systemctl cancel does: an ID that is not installed is reported and
// skipped, and the exit code is 1.
func (c *ctl) cancel(ids []string) error {
	if len(ids) == 0 {
		if err := c.t.client.Call(api.MethodCancelJob, api.CancelJobRequest{All: true}, nil); err != nil {
			return fail(exitFailure, "Failed to cancel jobs: %v", err)
		}
		return nil
	}
	code := 0
	for _, s := range ids {
		id, err := strconv.ParseUint(s, 10, 32)
		if err != nil || id == 0 {
			return fail(exitFailure, "Failed to parse job id \"%s\": Invalid argument", printable(s))
		}
		err = c.t.client.Call(api.MethodCancelJob, api.CancelJobRequest{ID: uint32(id)}, nil)
		switch {
		case err == nil:
		case varlink.IsError(err, api.ErrNoSuchJob):
			fmt.Fprintf(c.io.Stderr, "Failed to cancel job %d, ignoring: %v\n", id, err)
			code = exitFailure
		default:
			return fail(exitFailure, "Failed to cancel job %d: %v", id, err)
		}
	}
	if code != 0 {
		return fail(code, "")
	}
	return nil
}

// exitRefused is systemctl's exit code for a request the manager refuses
// outright (its EXIT_NOPERMISSION).
const exitRefused = 4

// refusals are the job engine's refusals of a transaction, with the exit
// code systemctl gives each.
var refusals = map[string]int{
	api.ErrTransactionIsDestructive:   exitRefused,
	api.ErrNoIsolation:                exitRefused,
	api.ErrOnlyByDependency:           exitRefused,
	api.ErrTransactionJobsConflicting: exitFailure,
	api.ErrTransactionOrderIsCyclic:   exitFailure,
}

func isRefusal(err error) bool {
	for name := range refusals {
		if varlink.IsError(err, name) {
			return true
		}
	}
	return false
}

func refusalCode(err error) int {
	for name, code := range refusals {
		if varlink.IsError(err, name) {
			return code
		}
	}
	return exitFailure
}

// refusalHint is the line systemctl prints under a refused job ("See user
// logs and 'systemctl --user status X' for details.").
func (c *ctl) refusalHint(name string) string {
	logs := "system"
	if c.t.capsule != "" {
		logs = "user"
	}
	return fmt.Sprintf("See %s logs and 'capsulectl%s status %s' for details.", logs, c.capsuleArg(), name)
}
