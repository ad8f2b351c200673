package job

import (
	"fmt"
	"sort"
	"time"
)

// Queue holds the installed jobs, at most one per unit (and one nop job per unit), as
// systemd's manager does.
type Queue struct {
	g       Graph
	now     func() time.Time
	lastID  uint32
	gen     uint64
	jobs    map[uint32]*job
	unitJob map[string]*job
	unitNop map[string]*job
}

// NewQueue makes an empty queue over g. now is the clock deadlines are computed from
// (JobTimeoutSec= when a job is installed, JobRunningTimeoutSec= when it starts
// running); nil means jobs get no deadlines from the unit's settings.
func NewQueue(g Graph, now func() time.Time) *Queue {
	return &Queue{g: g, now: now, jobs: map[uint32]*job{}, unitJob: map[string]*job{}, unitNop: map[string]*job{}}
}

func (q *Queue) nextGen() uint64 { q.gen++; return q.gen }

func (q *Queue) info(unit string) Info {
	in, ok := q.g.Info(unit)
	if !ok {
		return Info{State: UnitInactive, Load: NotFound}
	}
	return in
}

func (q *Queue) canReload(unit string, in Info) bool {
	return in.CanReload || len(q.g.Deps(unit, PropagatesReloadTo)) > 0
}

// union lists the units unit has any of the dependencies ds on, each once.
func (q *Queue) union(unit string, ds ...Dependency) []string {
	var out []string
	var seen map[string]bool
	for i, d := range ds {
		for _, u := range q.g.Deps(unit, d) {
			if i > 0 {
				if seen == nil {
					seen = make(map[string]bool, len(out))
					for _, x := range out {
						seen[x] = true
					}
				}
				if seen[u] {
					continue
				}
				seen[u] = true
			}
			out = append(out, u)
		}
	}
	return out
}

// newJob allocates the next free ID (1, 2, ..., wrapping around past used ones).
func (q *Queue) newJob(unit string, t Type) *job {
	for {
		q.lastID++
		if q.lastID == 0 {
			continue
		}
		if q.jobs[q.lastID] == nil {
			break
		}
	}
	return &job{id: q.lastID, unit: unit, typ: t}
}

func (q *Queue) sortedJobs() []*job {
	out := make([]*job, 0, len(q.jobs))
	for _, j := range q.jobs {
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].id < out[b].id })
	return out
}

// Jobs lists the installed jobs by ID.
func (q *Queue) Jobs() []Job {
	js := q.sortedJobs()
	out := make([]Job, len(js))
	for i, j := range js {
		out[i] = j.snapshot()
	}
	return out
}

// Get returns the installed job with the ID.
func (q *Queue) Get(id uint32) (Job, bool) {
	j := q.jobs[id]
	if j == nil {
		return Job{}, false
	}
	return j.snapshot(), true
}

// UnitJob returns the unit's installed job (not its nop job).
func (q *Queue) UnitJob(unit string) (Job, bool) {
	j := q.unitJob[unit]
	if j == nil {
		return Job{}, false
	}
	return j.snapshot(), true
}

// Len is the number of installed jobs.
func (q *Queue) Len() int { return len(q.jobs) }

// Enqueued is the outcome of a request that was accepted.
type Enqueued struct {
	// Anchor is the job asked for (or the installed job it was merged into).
	Anchor Job
	// Jobs lists every job the transaction installed or merged into, by ID.
	Jobs []Job
	Effects
}

// Enqueue builds the transaction for r and installs it. A refused request changes
// nothing; its Enqueued still carries the log lines (an ordering cycle, say).
func (q *Queue) Enqueue(r Request) (Enqueued, error) {
	var res Enqueued
	in := q.info(r.Unit)
	t := r.Type
	if r.ReloadIfPossible && q.canReload(r.Unit, in) {
		switch t {
		case Restart:
			t = ReloadOrStart
		case TryRestart:
			t = TryReload
		}
	}
	if t == Stop && in.Load != Loaded && in.Load != Masked && in.State == UnitInactive {
		return res, &Error{CodeNoSuchUnit, fmt.Sprintf("Unit %s not loaded.", r.Unit)}
	}
	if r.Manual && ((t == Start && in.RefuseManualStart) ||
		(t == Stop && in.RefuseManualStop) ||
		((t == Restart || t == TryRestart) && (in.RefuseManualStart || in.RefuseManualStop)) ||
		(t == ReloadOrStart && Collapse(t, in.State) == Start && in.RefuseManualStart)) {
		return res, &Error{CodeOnlyByDependency, fmt.Sprintf(
			"Operation refused, unit %s may be requested by dependency only (it is configured to refuse manual start/stop).", r.Unit)}
	}
	switch {
	case r.Mode == Isolate && t != Start:
		return res, &Error{CodeInvalidArgs, "Isolate is only valid for start."}
	case r.Mode == Isolate && !in.AllowIsolate:
		return res, &Error{CodeNoIsolation, "Operation refused, unit may not be isolated."}
	case r.Mode == Triggering && t != Stop:
		return res, &Error{CodeInvalidArgs, "--job-mode=triggering is only valid for stop."}
	case r.Mode == RestartDependencies && t != Start:
		return res, &Error{CodeInvalidArgs, "--job-mode=restart-dependencies is only valid for start."}
	case r.Mode < 0 || int(r.Mode) >= len(modeNames):
		return res, &Error{CodeInvalidArgs, fmt.Sprintf("Invalid job mode %d.", int(r.Mode))}
	case t < 0 || int(t) >= len(typeNames):
		return res, &Error{CodeInvalidArgs, fmt.Sprintf("Invalid job type %d.", int(t))}
	}

	tr := newTransaction(q, r.Mode == ReplaceIrreversibly)
	t = Collapse(t, in.State)
	flags := addMatters
	if r.Mode == IgnoreDependencies || r.Mode == IgnoreRequirements {
		flags |= addIgnoreRequirements
	}
	if r.Mode == IgnoreDependencies {
		flags |= addIgnoreOrder
	}
	if r.Mode == RestartDependencies {
		flags |= addStartAsRestart
	}
	err := tr.add(t, r.Unit, nil, flags)
	if err == nil {
		switch r.Mode {
		case Isolate:
			tr.addIsolateJobs()
		case Triggering:
			tr.addTriggeringJobs(r.Unit)
		}
		var installed []*job
		installed, err = tr.activate(r.Mode)
		if err == nil {
			sort.Slice(installed, func(a, b int) bool { return installed[a].id < installed[b].id })
			res.Anchor = tr.anchor.snapshot()
			for _, j := range installed {
				res.Jobs = append(res.Jobs, j.snapshot())
			}
		}
	}
	if err != nil {
		tr.abort()
	}
	res.Effects = tr.eff
	return res, err
}

// install makes j the unit's job, or merges it into the job already there (cancelling
// that one instead if the two conflict); it returns the job that stays.
func (q *Queue) install(j *job, eff *Effects) *job {
	slot := q.unitJob
	if j.typ == Nop {
		slot = q.unitNop
	}
	if uj := slot[j.unit]; uj != nil {
		if Conflicting(uj.typ, j.typ) {
			q.finish(uj, ResultCanceled, false, eff)
		} else {
			running := uj.state == Running
			if running && !q.mayLateMerge(j, uj) {
				// Merged into a running job that must do its work again (a reload
				// whose configuration changed meanwhile).
				uj.state = Waiting
			}
			q.mergeInto(uj, j)
			return uj
		}
	}
	slot[j.unit] = j
	j.installed = true
	j.state = Waiting
	q.jobs[j.id] = j
	return j
}

// mayLateMerge tells whether j may merge into the running job uj without uj being run
// again: not for reloads (the daemon may have read its configuration already), and
// only if uj does all j asks for.
func (q *Queue) mayLateMerge(j, uj *job) bool {
	if j.refuseLateMerge || j.typ == Reload {
		return false
	}
	return superset(uj.typ, j.typ)
}

func (q *Queue) mergeInto(uj, j *job) {
	if uj.typ != Nop {
		uj.typ, _ = MergeAndCollapse(uj.typ, j.typ, q.info(uj.unit).State)
	}
	uj.irreversible = uj.irreversible || j.irreversible
	uj.ignoreOrder = uj.ignoreOrder || j.ignoreOrder
}

func (q *Queue) startTimer(j *job) {
	if j.timerSet || q.now == nil {
		return
	}
	j.timerSet = true
	if d := q.info(j.unit).JobTimeout; d > 0 {
		j.deadline = q.now().Add(d)
	}
}

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

// Runnable lists, by ID, the waiting jobs whose ordering lets them run now.
func (q *Queue) Runnable() []Job {
	var out []Job
	for _, j := range q.sortedJobs() {
		if j.state == Waiting && !j.parked && q.runnable(j) {
			out = append(out, j.snapshot())
		}
	}
	return out
}

// Run marks the waiting job id as running and returns the action the caller performs
// on the unit: Start, Stop (also for a restart, which becomes a start once the stop
// is done) or Reload; Nop when there is nothing to do because the job finished at once
// (nop, verify-active) or waits again for its unit (verify-active on an activating
// unit). The caller reports the outcome through UnitChanged, Finish or Requeue.
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
	j.parked = false
	if q.now != nil {
		if d := q.info(j.unit).JobRunningTimeout; d > 0 {
			if at := q.now().Add(d); j.deadline.IsZero() || at.Before(j.deadline) {
				j.deadline = at
			}
		}
	}
	switch j.typ {
	case VerifyActive:
		s := q.info(j.unit).State
		switch {
		case s.ActiveOrReloading():
			q.finish(j, ResultDone, true, &eff)
		case s == UnitActivating:
			j.state, j.parked = Waiting, true
		default:
			q.finish(j, ResultSkipped, true, &eff)
		}
		return Nop, eff, nil
	case Nop:
		q.finish(j, ResultDone, true, &eff)
		return Nop, eff, nil
	case Restart:
		return Stop, eff, nil
	}
	return j.typ, eff, nil
}

var errNotRunnable = fmt.Errorf("not runnable now")

// Requeue puts a running job back to waiting: the unit cannot act yet. It is offered
// by Runnable again once its unit changes state or a job it is ordered against ends.
func (q *Queue) Requeue(id uint32) error {
	j := q.jobs[id]
	if j == nil {
		return &Error{CodeNoSuchJob, fmt.Sprintf("Job %d does not exist.", id)}
	}
	j.state, j.parked = Waiting, true
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
		j.parked = false
		return
	}
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
	// Jobs ordered against this one may run now.
	for _, d := range [...]Dependency{After, Before} {
		for _, u := range q.g.Deps(j.unit, d) {
			if o := q.unitJob[u]; o != nil {
				o.parked = false
			}
		}
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

// onTermination asks for the start of the units of OnFailure= or OnSuccess=.
func (q *Queue) onTermination(unit string, d Dependency, eff *Effects) {
	others := q.g.Deps(unit, d)
	if len(others) == 0 {
		return
	}
	in := q.info(unit)
	mode := in.OnFailureJobMode
	if d == OnSuccess {
		mode = in.OnSuccessJobMode
	}
	eff.logf(unit, "Triggering %s= dependencies.", d)
	for _, o := range others {
		eff.Enqueue = append(eff.Enqueue, Request{Unit: o, Type: Start, Mode: mode})
	}
}

// UnitChanged tells the queue that unit went from state from to state to (the Graph
// already reports to). It finishes the unit's job if the new state means so (a start
// is done once the unit is active, failed if it failed while running; a stop once it
// is inactive; a reload once it is active again, reloadOK telling whether the reload
// worked), and returns what follows: OnSuccess= when the unit went inactive,
// OnFailure= when it failed, and for changes no job asked for, systemd's retroactive
// jobs (Requires=, BindsTo=, Upholds=, Wants= started and Conflicts= stopped when the
// unit became active; BindsTo= dependents and PropagatesStopTo= stopped when it went
// down).
func (q *Queue) UnitChanged(unit string, from, to ActiveState, reloadOK bool) Effects {
	var eff Effects
	unexpected := true
	if j := q.unitJob[unit]; j != nil {
		unexpected = q.processJob(j, to, reloadOK, &eff)
	}
	if unexpected {
		switch {
		case from.InactiveOrFailed() && to.ActiveOrActivating():
			q.retroStart(unit, &eff)
		case from.ActiveOrActivating() && to.InactiveOrDeactivating():
			q.retroStop(unit, &eff)
		}
	}
	switch {
	case to == UnitInactive && from != UnitFailed && from != UnitInactive && from != UnitMaintenance:
		q.onTermination(unit, OnSuccess, &eff)
	case to != from && to == UnitFailed:
		q.onTermination(unit, OnFailure, &eff)
	}
	return eff
}

func (q *Queue) processJob(j *job, to ActiveState, reloadOK bool, eff *Effects) bool {
	unexpected := false
	if j.state == Waiting {
		j.parked = false
	}
	switch j.typ {
	case Start, VerifyActive:
		if to.ActiveOrReloading() {
			q.finish(j, ResultDone, true, eff)
		} else if j.state == Running && to != UnitActivating {
			unexpected = true
			if to.InactiveOrFailed() {
				r := ResultDone
				if to == UnitFailed {
					r = ResultFailed
				}
				q.finish(j, r, true, eff)
			}
		}
	case Reload:
		if j.state == Running {
			if to == UnitActive {
				r := ResultDone
				if !reloadOK {
					r = ResultFailed
				}
				q.finish(j, r, true, eff)
			} else if to != UnitActivating && to != UnitReloading && to != UnitRefreshing {
				unexpected = true
				r := ResultCanceled
				if !reloadOK {
					r = ResultFailed
				}
				q.finish(j, r, true, eff)
			}
		}
	case Stop, Restart:
		if to.InactiveOrFailed() {
			q.finish(j, ResultDone, true, eff)
		} else if j.state == Running && to != UnitDeactivating {
			unexpected = true
			q.finish(j, ResultFailed, true, eff)
		}
	}
	return unexpected
}

func (q *Queue) after(unit, other string) bool {
	for _, u := range q.g.Deps(unit, After) {
		if u == other {
			return true
		}
	}
	return false
}

func (q *Queue) retroStart(unit string, eff *Effects) {
	for _, o := range q.union(unit, Requires, BindsTo, Upholds) {
		if !q.after(unit, o) && !q.info(o).State.ActiveOrActivating() {
			eff.Enqueue = append(eff.Enqueue, Request{Unit: o, Type: Start, Mode: Replace})
		}
	}
	for _, o := range q.g.Deps(unit, Wants) {
		if !q.after(unit, o) && !q.info(o).State.ActiveOrActivating() {
			eff.Enqueue = append(eff.Enqueue, Request{Unit: o, Type: Start, Mode: Fail})
		}
	}
	for _, o := range q.union(unit, Conflicts, ConflictedBy) {
		if !q.info(o).State.InactiveOrDeactivating() {
			eff.Enqueue = append(eff.Enqueue, Request{Unit: o, Type: Stop, Mode: Replace})
		}
	}
}

func (q *Queue) retroStop(unit string, eff *Effects) {
	for _, o := range q.union(unit, BoundBy, PropagatesStopTo) {
		if !q.info(o).State.InactiveOrDeactivating() {
			eff.Enqueue = append(eff.Enqueue, Request{Unit: o, Type: Stop, Mode: Replace})
		}
	}
}

// SetDeadline sets when job id times out (zero: never), overriding the unit's settings.
func (q *Queue) SetDeadline(id uint32, at time.Time) error {
	j := q.jobs[id]
	if j == nil {
		return &Error{CodeNoSuchJob, fmt.Sprintf("Job %d does not exist.", id)}
	}
	j.deadline = at
	j.timerSet = true
	return nil
}

// NextDeadline returns the job that times out first; ok is false if none has a deadline.
func (q *Queue) NextDeadline() (id uint32, at time.Time, ok bool) {
	for _, j := range q.jobs {
		if j.deadline.IsZero() {
			continue
		}
		if !ok || j.deadline.Before(at) || (j.deadline.Equal(at) && j.id < id) {
			id, at, ok = j.id, j.deadline, true
		}
	}
	return id, at, ok
}

// Expire ends every job whose deadline is not after now with result "timeout".
func (q *Queue) Expire(now time.Time) Effects {
	var eff Effects
	for _, j := range q.sortedJobs() {
		if !j.installed || j.deadline.IsZero() || j.deadline.After(now) {
			continue
		}
		eff.logf(j.unit, "Job %s timed out.", j)
		q.finish(j, ResultTimeout, true, &eff)
	}
	return eff
}
