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

	// Units to check at the next Dispatch, and the rate limit on what it does.
	unneeded, upheld, bound unitSet
	limits                  map[string]*rateLimit

	runQueue map[*job]struct{}

	// nInstalled counts the jobs ever installed (not merged), systemd's
	// NInstalledJobs.
	nInstalled uint64
}

// NewQueue makes an empty queue over g. now is the clock deadlines are computed from
// (JobTimeoutSec= when a job is installed, JobRunningTimeoutSec= when it starts
// running) and the rate limit of Dispatch counts with; nil means neither.
func NewQueue(g Graph, now func() time.Time) *Queue {
	return &Queue{
		g:        g,
		now:      now,
		jobs:     map[uint32]*job{},
		unitJob:  map[string]*job{},
		unitNop:  map[string]*job{},
		limits:   map[string]*rateLimit{},
		runQueue: map[*job]struct{}{},
	}
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

// InstalledEver is the number of jobs installed since the queue was made.
func (q *Queue) InstalledEver() uint64 { return q.nInstalled }

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
	if r.ReenqueueAnchor {
		flags |= addReenqueueAnchor
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
	q.nInstalled++
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
