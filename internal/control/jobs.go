package control

import (
	"context"

	"github.com/capsuled/capsuled/internal/api"
	"github.com/capsuled/capsuled/internal/manager"
	"github.com/capsuled/capsuled/internal/varlink"
)

func listJobs(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	out := api.JobList{Jobs: []api.JobInfo{}}
	for _, j := range m.ListJobs() {
		ji := api.JobInfo{JobRef: jobRefOf(j.JobRef)}
		for _, o := range j.WaitingFor {
			ji.WaitingFor = append(ji.WaitingFor, jobRefOf(o))
		}
		for _, o := range j.Blocking {
			ji.Blocking = append(ji.Blocking, jobRefOf(o))
		}
		out.Jobs = append(out.Jobs, ji)
	}
	return c.Reply(out)
}

func jobRefOf(j manager.JobRef) api.JobRef {
	return api.JobRef{ID: j.ID, Unit: j.Unit, Type: j.Type, State: j.State}
}

func cancelJob(_ context.Context, m *manager.Manager, c *varlink.Call) error {
	var p api.CancelJobRequest
	if err := decode(c, &p); err != nil {
		return err
	}
	if p.All {
		m.CancelAllJobs()
	} else if err := m.CancelJob(p.ID); err != nil {
		return err
	}
	return c.Reply(struct{}{})
}
