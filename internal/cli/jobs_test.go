package cli

import (
	"bytes"
	"testing"

	"github.com/capsuled/capsuled/internal/api"
)

// The expected tables are systemctl list-jobs' output for the same jobs
// (systemd 257 in a capsule: a oneshot j13b running, j13a After= it
// waiting).
func TestPrintJobTable(t *testing.T) {
	b := api.JobRef{ID: 657, Unit: "j13b.service", Type: "start", State: "running"}
	a := api.JobRef{ID: 648, Unit: "j13a.service", Type: "start", State: "waiting"}
	jobs := []api.JobInfo{
		{JobRef: b, Blocking: []api.JobRef{a}},
		{JobRef: a, WaitingFor: []api.JobRef{b}},
	}
	tests := []struct {
		name          string
		jobs          []api.JobInfo
		after, before bool
		legend        bool
		want          string
	}{
		{"plain", jobs, false, false, true, "" +
			"JOB UNIT         TYPE  STATE\n" +
			"657 j13b.service start running\n" +
			"648 j13a.service start waiting\n" +
			"\n2 jobs listed.\n"},
		{"after", jobs, true, false, true, "" +
			"JOB UNIT                                          TYPE  STATE\n" +
			"657 j13b.service                                  start running\n" +
			"└─  \tblocking job 648 (j13a.service/start) -     -\n" +
			"648 j13a.service                                  start waiting\n" +
			"\n2 jobs listed.\n"},
		{"before", jobs, false, true, true, "" +
			"JOB UNIT                                             TYPE  STATE\n" +
			"657 j13b.service                                     start running\n" +
			"648 j13a.service                                     start waiting\n" +
			"└─  \twaiting for job 657 (j13b.service/start) -     -\n" +
			"\n2 jobs listed.\n"},
		{"wide id", []api.JobInfo{{JobRef: api.JobRef{ID: 1023, Unit: "jm2s.service", Type: "start", State: "running"}}},
			false, false, true, "" +
				"JOB  UNIT         TYPE  STATE\n" +
				"1023 jm2s.service start running\n" +
				"\n1 jobs listed.\n"},
		{"no legend", jobs[:1], false, false, false, "657 j13b.service start running\n"},
		{"none", nil, false, false, true, "No jobs running.\n"},
		{"none, no legend", nil, false, false, false, ""},
		{"escaped", []api.JobInfo{{JobRef: api.JobRef{ID: 7, Unit: "x\x1b[2J.service", Type: "start", State: "waiting"}}},
			false, false, false, "7 x\\x1b[2J.service start waiting\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			printJobTable(&buf, tt.jobs, tt.after, tt.before, tt.legend)
			if got := buf.String(); got != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}
