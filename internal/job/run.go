package job

import (
	"fmt"
	"sort"
	"strings"
)

// runnable tells whether ordering lets j run now: no job of a unit it is After= that
// must go first (any job, for a start; stops run in the inverse order), and no stop
// job of a unit it is Before=.
func (q *Queue) runnable(j *job) bool {
	if j.ignoreOrder || j.typ == Nop {
		return true
	}
	for _, d := range [...]Dependency{After, Before} {
		for _, u := range q.g.Deps(j.unit, d) {
			if o := q.unitJob[u]; o != nil && compare(j, o, d) > 0 {
				return false
			}
		}
	}
	return true
}

// Runnable lists the waiting jobs whose ordering lets them run now, in the order
// systemd's run queue would take them (see sortByPriority); run them in this order.
func (q *Queue) Runnable() []Job {
	var js []*job
	for j := range q.runQueue {
		if j.state != Waiting || !q.runnable(j) {
			q.unqueue(j)
			continue
		}
		js = append(js, j)
	}
	q.sortByPriority(js)
	out := make([]Job, len(js))
	for i, j := range js {
		out[i] = j.snapshot()
	}
	return out
}

// typeRank orders unit types as systemd's run queue does: the later in systemd's list
// of unit types, the earlier its jobs run (slices before targets before sockets
// before services).
var typeRank = map[string]int{
	"service": 0, "mount": 1, "swap": 2, "socket": 3, "target": 4, "device": 5,
	"automount": 6, "timer": 7, "path": 8, "slice": 9, "scope": 10,
}

func unitTypeRank(unit string) int {
	if i := strings.LastIndexByte(unit, '.'); i >= 0 {
		return typeRank[unit[i+1:]]
	}
	return 0
}

// sortByPriority puts jobs in the order systemd's run queue takes them: by unit type
// (see typeRank), then higher CPUWeight=, then lower Nice=, then unit name.
func (q *Queue) sortByPriority(js []*job) {
	type key struct {
		rank   int
		weight uint64
		nice   int
	}
	keys := make(map[*job]key, len(js))
	for _, j := range js {
		in := q.info(j.unit)
		w := in.CPUWeight
		if w == 0 {
			w = 100
		}
		keys[j] = key{unitTypeRank(j.unit), w, in.Nice}
	}
	sort.Slice(js, func(a, b int) bool {
		ka, kb := keys[js[a]], keys[js[b]]
		switch {
		case ka.rank != kb.rank:
			return ka.rank > kb.rank
		case ka.weight != kb.weight:
			return ka.weight > kb.weight
		case ka.nice != kb.nice:
			return ka.nice < kb.nice
		case js[a].unit != js[b].unit:
			return js[a].unit < js[b].unit
		}
		return js[a].id < js[b].id
	})
}

// WaitingFor lists, by ID, the jobs that must end before job id may run (systemd's
// Job.GetBefore(), list-jobs --before).
func (q *Queue) WaitingFor(id uint32) []Job {
	j := q.jobs[id]
	if j == nil || j.ignoreOrder {
		return nil
	}
	var out []*job
	for _, d := range [...]Dependency{After, Before} {
		for _, u := range q.g.Deps(j.unit, d) {
			if o := q.unitJob[u]; o != nil && compare(j, o, d) > 0 {
				out = append(out, o)
			}
		}
	}
	return snapshots(out)
}

// Blocking lists, by ID, the jobs waiting for job id to end (systemd's Job.GetAfter(),
// list-jobs --after).
func (q *Queue) Blocking(id uint32) []Job {
	j := q.jobs[id]
	if j == nil {
		return nil
	}
	var out []*job
	for _, d := range [...]Dependency{Before, After} {
		for _, u := range q.g.Deps(j.unit, d) {
			if o := q.unitJob[u]; o != nil && !o.ignoreOrder && compare(j, o, d) < 0 {
				out = append(out, o)
			}
		}
	}
	return snapshots(out)
}

// snapshots sorts js by ID, drops duplicates and copies them out.
func snapshots(js []*job) []Job {
	sort.Slice(js, func(a, b int) bool { return js[a].id < js[b].id })
	var out []Job
	for i, j := range js {
		if i > 0 && js[i-1] == j {
			continue
		}
		out = append(out, j.snapshot())
	}
	return out
}

// Run marks the waiting job id as running and returns the action the caller performs
// on the unit: Start, Stop (also for a restart, which becomes a start once the stop
// is done) or Reload. It returns Nop when there is nothing to do: the job ended at
// once (nop, verify-active, a start of an active unit, a stop of an inactive one, a
// reload of an inactive one: "invalid") or waits for its unit to change state (a start
// of a deactivating unit, a reload of a reloading one, a verify-active of an
// activating one). The caller reports the outcome through UnitChanged, Finish or
// Requeue.
func (q *Queue) Run(id uint32) (Type, Effects, error) {
	var eff Effects
	j := q.jobs[id]
	if j == nil {
		return Nop, eff, &Error{CodeNoSuchJob, fmt.Sprintf("Job %d does not exist.", id)}
	}
	if j.state != Waiting || !q.runnable(j) {
		return Nop, eff, fmt.Errorf("run job %d (%s): %w", id, j, errNotRunnable)
	}
	j.state = Running
	q.unqueue(j)
	if q.now != nil {
		if d := q.info(j.unit).JobRunningTimeout; d > 0 {
			if at := q.now().Add(d); j.deadline.IsZero() || at.Before(j.deadline) {
				j.deadline = at
			}
		}
	}
	// What systemd decides for every unit type before the type's own start, stop or
	// reload: nothing to do, not now, or not at all.
	in := q.info(j.unit)
	s := in.State
	park := func() (Type, Effects, error) {
		j.state = Waiting
		return Nop, eff, nil
	}
	end := func(r Result) (Type, Effects, error) {
		q.finish(j, r, true, &eff)
		return Nop, eff, nil
	}
	switch j.typ {
	case VerifyActive:
		switch {
		case s.ActiveOrReloading():
			return end(ResultDone)
		case s == UnitActivating:
			return park()
		}
		return end(ResultSkipped)
	case Nop:
		return end(ResultDone)
	case Start:
		switch {
		case s.ActiveOrReloading():
			return end(ResultDone)
		case s == UnitDeactivating || s == UnitMaintenance:
			return park()
		case in.Load != Loaded:
			return end(ResultFailed)
		}
		return Start, eff, nil
	case Stop, Restart:
		if s.InactiveOrFailed() {
			// A restart of a stopped unit goes on as a start.
			return end(ResultDone)
		}
		return Stop, eff, nil
	case Reload:
		switch {
		case in.Load != Loaded:
			return end(ResultFailed)
		case s == UnitReloading || s == UnitRefreshing:
			return park()
		case s != UnitActive:
			eff.logf(j.unit, "Unit cannot be reloaded because it is inactive.")
			return end(ResultInvalid)
		}
		return Reload, eff, nil
	}
	return j.typ, eff, nil
}

// BoundToInactive returns a unit that unit has BindsTo= and After= on and that is not
// active. systemd checks this when it is about to start unit (after its conditions
// and asserts): the start job then ends with result "dependency", logging
// "Bound to unit X, but unit isn't active.".
func (q *Queue) BoundToInactive(unit string) (string, bool) {
	for _, o := range q.g.Deps(unit, BindsTo) {
		if q.after(unit, o) && !q.info(o).State.ActiveOrReloading() {
			return o, true
		}
	}
	return "", false
}

var errNotRunnable = fmt.Errorf("not runnable now")

// Requeue puts a running job back to waiting: the unit cannot act yet. It is offered
// by Runnable again once its unit changes state or a job it is ordered against ends.
func (q *Queue) Requeue(id uint32) error {
	j := q.jobs[id]
	if j == nil {
		return &Error{CodeNoSuchJob, fmt.Sprintf("Job %d does not exist.", id)}
	}
	j.state = Waiting
	q.unqueue(j)
	return nil
}

// Finish ends the job id with result r, as the unit's action turned out, and returns
// what follows (see finish).
func (q *Queue) Finish(id uint32, r Result) (Effects, error) {
	var eff Effects
	j := q.jobs[id]
	if j == nil {
		return eff, &Error{CodeNoSuchJob, fmt.Sprintf("Job %d does not exist.", id)}
	}
	q.finish(j, r, true, &eff)
	return eff, nil
}

// Cancel cancels the job id (systemctl cancel): dependent start jobs fail with it.
func (q *Queue) Cancel(id uint32) (Effects, error) {
	return q.Finish(id, ResultCanceled)
}

// finish ends j with result r. A restart that stopped its unit becomes a start and
// stays. Otherwise j goes, and when recursive: if a start (or verify-active) did not
// end "done", the start jobs of the units that Require=, BindsTo= or Requisite= it
// end with "dependency" (also when they run already: their processes are left alone),
// and so on; a failed stop does that to the units that Conflict= with it; a start that
// was "done" while the unit is not active fails the Requisite= ones; "timeout" and
// "dependency" trigger OnFailure=.
func (q *Queue) finish(j *job, r Result, recursive bool, eff *Effects) {
	if r == ResultDone && j.typ == Restart {
		j.typ = Start
		j.state = Waiting
		q.wake(j)
	} else {
		q.finishJob(j, r, recursive, eff)
	}
	q.wakeNeighbours(j.unit)
	q.submitOnFinish(j.unit)
}

// wake puts an installed job into the run queue.
func (q *Queue) wake(j *job) {
	if j.installed && !j.queued {
		j.queued = true
		q.runQueue[j] = struct{}{}
	}
}

func (q *Queue) unqueue(j *job) {
	if j.queued {
		j.queued = false
		delete(q.runQueue, j)
	}
}

// wakeNeighbours puts the jobs of the units ordered against unit into the run queue:
// what held them back may be gone.
func (q *Queue) wakeNeighbours(unit string) {
	for _, d := range [...]Dependency{After, Before} {
		for _, u := range q.g.Deps(unit, d) {
			if o := q.unitJob[u]; o != nil {
				q.wake(o)
			}
		}
	}
}

func (q *Queue) finishJob(j *job, r Result, recursive bool, eff *Effects) {
	q.uninstall(j)
	eff.Finished = append(eff.Finished, Finished{Job: j.snapshot(), Result: r})
	if r != ResultDone && recursive {
		switch j.typ {
		case Start, VerifyActive:
			q.failDependents(j.unit, eff, RequiredBy, RequisiteOf, BoundBy)
		case Stop:
			q.failDependents(j.unit, eff, ConflictedBy)
		}
	}
	if r == ResultDone && recursive && (j.typ == Start || j.typ == Reload) &&
		!q.info(j.unit).State.ActiveOrReloading() {
		q.failDependents(j.unit, eff, RequisiteOf)
	}
	if r == ResultTimeout || r == ResultDependency {
		eff.logf(j.unit, "Job %s failed with result '%s'.", j, r)
		q.onTermination(j.unit, OnFailure, eff)
	}
}

func (q *Queue) uninstall(j *job) {
	slot := q.unitJob
	if j.typ == Nop {
		slot = q.unitNop
	}
	if slot[j.unit] == j {
		delete(slot, j.unit)
	}
	delete(q.jobs, j.id)
	q.unqueue(j)
	j.installed = false
	j.state = Waiting
}

func (q *Queue) failDependents(unit string, eff *Effects, ds ...Dependency) {
	for _, u := range q.union(unit, ds...) {
		o := q.unitJob[u]
		if o == nil || (o.typ != Start && o.typ != VerifyActive) {
			continue
		}
		q.finish(o, ResultDependency, true, eff)
	}
}
