package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Jobs as objects: list-jobs, cancel, the Job= property and the job
// queue's refusals, with the outputs of the real systemd 257 in a capsule
// (observed.md sections 2n, 9a, 13, 21; unit names from there).

// jobIDs waits until list-jobs shows the units' jobs in the given states
// and returns their IDs.
func jobIDs(t *testing.T, capsule string, want map[string]string) map[string]int {
	t.Helper()
	line := regexp.MustCompile(`^(\d+) +(\S+) +(\S+) +(\S+)$`)
	deadline := time.Now().Add(10 * time.Second)
	var r result
	for time.Now().Before(deadline) {
		r = ctl(t, 0, "-C", capsule, "list-jobs", "--no-legend")
		ids := map[string]int{}
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if m := line.FindStringSubmatch(l); m != nil && want[m[2]] == m[4] {
				ids[m[2]], _ = strconv.Atoi(m[1])
			}
		}
		if len(ids) == len(want) {
			return ids
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("list-jobs never showed %v: %s", want, r)
	return nil
}

// background runs capsulectl and returns a function that waits for it.
func background(t *testing.T, args ...string) func() result {
	t.Helper()
	cmd := exec.Command(filepath.Join(e.bin, "capsulectl"), args...)
	cmd.Env = append(cmd.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	wait := func() result {
		if done {
			t.Fatal("waited twice")
		}
		done = true
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		return result{stdout: out.String(), stderr: errb.String(), code: code}
	}
	t.Cleanup(func() {
		if !done {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return wait
}

func TestJobsListAndCancel(t *testing.T) {
	c := startCapsule(t, "jobs")
	writeUnits(t, c, map[string]string{
		"j13b.service":  "[Service]\nType=oneshot\nExecStart=/bin/sleep 30\n",
		"j13a.service":  "[Unit]\nAfter=j13b.service\nWants=j13b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"jf21a.service": "[Unit]\nConflicts=j13b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"j13x.service":  "[Unit]\nRequires=j13y.service\nConflicts=j13y.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"j13y.service":  "[Service]\nExecStart=/bin/sleep infinity\n",
		"x9s.service":   "[Service]\nType=oneshot\nExecStart=/bin/sleep 30\n",
		"x9c.service":   "[Service]\nType=oneshot\nExecStart=/bin/sleep 30\n",
	})
	defer ctlRun(nil, "-C", c, "stop", "j13b.service", "x9s.service", "x9c.service", "j13a.service")

	if r := ctl(t, 0, "-C", c, "list-jobs"); r.stdout != "No jobs running.\n" {
		t.Errorf("list-jobs with no jobs: %s", r)
	}
	ctl(t, 0, "-C", c, "start", "--no-block", "j13a.service")
	ids := jobIDs(t, c, map[string]string{"j13b.service": "running", "j13a.service": "waiting"})
	a, b := ids["j13a.service"], ids["j13b.service"]
	if a >= 1000 || b >= 1000 {
		t.Fatalf("job IDs %d, %d: the expected tables assume at most 3 digits", a, b)
	}
	rowB, rowA := fmt.Sprintf("%-3d j13b.service", b), fmt.Sprintf("%-3d j13a.service", a)
	first, second := rowB+"%s start running\n%s", rowA+"%s start waiting\n%s"
	if a < b {
		first, second = second, first
	}
	blocking := fmt.Sprintf("└─  \tblocking job %d (j13a.service/start) -     -\n", a)
	waiting := fmt.Sprintf("└─  \twaiting for job %d (j13b.service/start) -     -\n", b)
	table := func(pad int, afterB, afterA string) string {
		head := "JOB UNIT" + strings.Repeat(" ", pad+9) + "TYPE  STATE\n"
		p := strings.Repeat(" ", pad)
		rb, ra := fmt.Sprintf(first, p, afterB), fmt.Sprintf(second, p, afterA)
		if a < b {
			rb, ra = fmt.Sprintf(first, p, afterA), fmt.Sprintf(second, p, afterB)
		}
		return head + rb + ra + "\n2 jobs listed.\n"
	}
	// The TAB counts 8 columns in the width of the UNIT column.
	width := func(s string) int { return len(s) - len("└─  \t") + 8 - len(" -     -\n") }
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, table(0, "", "")},
		{[]string{"--after"}, table(width(blocking)-len("j13a.service"), blocking, "")},
		{[]string{"--before"}, table(width(waiting)-len("j13a.service"), "", waiting)},
		{[]string{"j13a*"}, "JOB UNIT         TYPE  STATE\n" + rowA + " start waiting\n\n1 jobs listed.\n"},
	} {
		r := ctl(t, 0, append([]string{"-C", c, "list-jobs"}, tt.args...)...)
		if r.stdout != tt.want {
			t.Errorf("list-jobs %v:\n%q\nwant:\n%q", tt.args, r.stdout, tt.want)
		}
	}
	if r := ctl(t, 0, "-C", c, "show", "-p", "Job", "j13a.service"); r.stdout != fmt.Sprintf("Job=%d\n", a) {
		t.Errorf("show -p Job j13a.service: %s", r)
	}
	if r := ctl(t, 0, "-C", c, "show", "-p", "NJobs"); r.stdout != "NJobs=2\n" {
		t.Errorf("show -p NJobs: %s", r)
	}
	r := ctl(t, 0, "-C", c, "show", "--value", "-p", "NInstalledJobs")
	if n, err := strconv.Atoi(strings.TrimSpace(r.stdout)); err != nil || n < 2 {
		t.Errorf("show -p NInstalledJobs: %s", r)
	}

	// A transaction that would replace the queued start, in mode fail.
	r = ctl(t, 4, "-C", c, "start", "--job-mode=fail", "jf21a.service")
	if want := "Failed to start jf21a.service: Transaction for jf21a.service/start is destructive " +
		"(j13b.service has 'start' job queued, but 'stop' is included in transaction).\n" +
		"See user logs and 'capsulectl -C " + c + " status jf21a.service' for details.\n"; r.stderr != want {
		t.Errorf("destructive transaction:\n%q\nwant:\n%q", r.stderr, want)
	}
	// Contradicting requirements.
	r = ctl(t, 1, "-C", c, "start", "j13x.service")
	if want := "Failed to start j13x.service: Transaction contains conflicting jobs 'stop' and 'start' for j13x.service. " +
		"Probably contradicting requirement dependencies configured.\n" +
		"See user logs and 'capsulectl -C " + c + " status j13x.service' for details.\n"; r.stderr != want {
		t.Errorf("conflicting jobs:\n%q\nwant:\n%q", r.stderr, want)
	}

	// Cancel the waiting job: the running one goes on, the unit never starts.
	ctl(t, 0, "-C", c, "cancel", strconv.Itoa(a))
	if r := ctl(t, 0, "-C", c, "list-jobs"); r.stdout != fmt.Sprintf("JOB UNIT         TYPE  STATE\n%s start running\n\n1 jobs listed.\n", rowB) {
		t.Errorf("list-jobs after cancel %d: %s", a, r)
	}
	if got := states(t, c, "j13a.service"); got != "Result=success\nActiveState=inactive\nSubState=dead\n" {
		t.Errorf("j13a.service after its job was canceled:\n%s", got)
	}
	if r := ctl(t, 0, "-C", c, "show", "-p", "Job", "j13a.service"); r.stdout != "Job=\n" {
		t.Errorf("show -p Job without a job: %s", r)
	}
	r = ctl(t, 1, "-C", c, "cancel", "99999")
	if want := "Failed to cancel job 99999, ignoring: Job 99999 does not exist.\n"; r.stderr != want {
		t.Errorf("cancel 99999: %q, want %q", r.stderr, want)
	}

	// A start whose job is replaced by a stop (9a), or canceled: its caller
	// is told.
	waitS := background(t, "-C", c, "start", "x9s.service")
	waitC := background(t, "-C", c, "start", "x9c.service")
	ids = jobIDs(t, c, map[string]string{"x9s.service": "running", "x9c.service": "running"})
	ctl(t, 0, "-C", c, "stop", "x9s.service")
	if r := waitS(); r.code != 1 || r.stderr != "Job for x9s.service canceled.\n" {
		t.Errorf("start x9s.service, stopped meanwhile: %s", r)
	}
	// systemd 257: Result=signal (the engine says "canceled" for now).
	if got := states(t, c, "x9s.service"); !strings.HasSuffix(got, "\nActiveState=failed\nSubState=failed\n") {
		t.Errorf("x9s.service stopped while activating:\n%s", got)
	}
	ctl(t, 0, "-C", c, "cancel", strconv.Itoa(ids["x9c.service"]))
	if r := waitC(); r.code != 1 || r.stderr != "Job for x9c.service canceled.\n" {
		t.Errorf("start x9c.service, its job canceled: %s", r)
	}
	// Unlike systemd (see CancelJob), the half-done start ends with the job
	// (soon after: the kind is told, and stops the process).
	var got string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if got = states(t, c, "x9c.service"); !strings.Contains(got, "ActiveState=activating") {
			break
		}
	}
	if !strings.Contains(got, "ActiveState=failed") && !strings.Contains(got, "ActiveState=inactive") {
		t.Errorf("x9c.service after its running job was canceled:\n%s", got)
	}

	// cancel without IDs cancels every job.
	ctl(t, 0, "-C", c, "cancel")
	if r := ctl(t, 0, "-C", c, "list-jobs"); r.stdout != "No jobs running.\n" {
		t.Errorf("list-jobs after cancel: %s", r)
	}
	if r := ctl(t, 0, "-C", c, "show", "-p", "NJobs"); r.stdout != "NJobs=0\n" {
		t.Errorf("show -p NJobs: %s", r)
	}
}
