package job

import (
	"errors"
	"fmt"
)

// errAgain asks the caller to run a step again after a job was deleted.
var errAgain = errors.New("again")

type addFlags uint8

const (
	addMatters addFlags = 1 << iota
	addConflicts
	addIgnoreRequirements
	addIgnoreOrder
	addStartAsRestart
	addStopGraceful
	addReenqueueAnchor
)

// transaction is a set of prospective jobs, several per unit until they are merged.
type transaction struct {
	q      *Queue
	jobs   map[string]*job // first job of each unit's list
	order  []string        // units in the order they got their first job
	pos    map[string]int  // index of the unit's latest entry in order
	anchor *job
	irrev  bool
	eff    Effects
}

func newTransaction(q *Queue, irreversible bool) *transaction {
	return &transaction{q: q, jobs: map[string]*job{}, pos: map[string]int{}, irrev: irreversible}
}

// heads lists the first job of every unit, in a stable order.
func (tr *transaction) heads() []*job {
	out := make([]*job, 0, len(tr.jobs))
	for i, u := range tr.order {
		if j := tr.jobs[u]; j != nil && tr.pos[u] == i {
			out = append(out, j)
		}
	}
	return out
}

func (tr *transaction) info(unit string) Info { return tr.q.info(unit) }

func (tr *transaction) addOne(t Type, unit string) (*job, bool) {
	f := tr.jobs[unit]
	for i := f; i != nil; i = i.trNext {
		if i.typ == t {
			return i, false
		}
	}
	j := tr.q.newJob(unit, t)
	j.irreversible = tr.irrev
	j.trNext = f
	if f != nil {
		f.trPrev = j
	} else {
		tr.pos[unit] = len(tr.order)
		tr.order = append(tr.order, unit)
	}
	tr.jobs[unit] = j
	return j, true
}

func (tr *transaction) newLink(subject, object *job, matters, conflicts bool) {
	l := &link{subject: subject, object: object, matters: matters, conflicts: conflicts}
	subject.subjects = append(subject.subjects, l)
	object.objects = append(object.objects, l)
}

func (tr *transaction) freeLink(l *link) {
	l.subject.subjects = removeLink(l.subject.subjects, l)
	l.object.objects = removeLink(l.object.objects, l)
}

// unlink takes j out of the transaction; with deleteDeps, the jobs that needed j
// (through a link that matters) go too.
func (tr *transaction) unlink(j *job, deleteDeps bool) {
	switch {
	case j.trPrev != nil:
		j.trPrev.trNext = j.trNext
	case j.trNext != nil:
		tr.jobs[j.unit] = j.trNext
	case tr.jobs[j.unit] == j:
		delete(tr.jobs, j.unit)
	}
	if j.trNext != nil {
		j.trNext.trPrev = j.trPrev
	}
	j.trNext, j.trPrev = nil, nil
	for len(j.subjects) > 0 {
		tr.freeLink(j.subjects[0])
	}
	for len(j.objects) > 0 {
		l := j.objects[0]
		other := l.subject
		if !l.matters {
			other = nil
		}
		tr.freeLink(l)
		if other != nil && deleteDeps {
			tr.deleteJob(other, true)
		}
	}
}

func (tr *transaction) deleteJob(j *job, deleteDeps bool) {
	if j.deleted {
		return
	}
	j.deleted = true
	tr.unlink(j, deleteDeps)
}

func (tr *transaction) deleteUnit(unit string) {
	for j := tr.jobs[unit]; j != nil; j = tr.jobs[unit] {
		tr.deleteJob(j, true)
	}
}

func (tr *transaction) abort() {
	for _, j := range tr.heads() {
		for k := j; k != nil; {
			next := k.trNext
			tr.deleteJob(k, false)
			k = next
		}
	}
}

// applicable tells whether a job of type t can be queued for the unit at all.
func (tr *transaction) applicable(unit string, in Info, t Type) bool {
	switch t {
	case Stop, Restart, TryRestart:
		return !in.Perpetual
	case Reload, TryReload, ReloadOrStart:
		return tr.q.canReload(unit, in)
	}
	return true
}

func loadError(unit string, l LoadState) error {
	switch l {
	case NotFound:
		return &Error{CodeNoSuchUnit, fmt.Sprintf("Unit %s not found.", unit)}
	case BadSetting:
		return &Error{CodeBadUnitSetting, fmt.Sprintf("Unit %s has a bad unit file setting.", unit)}
	case LoadError:
		return &Error{CodeLoadFailed, fmt.Sprintf("Unit %s failed to load properly, please adjust/correct and reload service manager.", unit)}
	case Masked:
		return &Error{CodeUnitMasked, fmt.Sprintf("Unit %s is masked.", unit)}
	}
	return nil
}

// quietError tells errors of Wants= that systemd logs only at debug level.
func quietError(err error) bool {
	return errors.Is(err, ErrUnitMasked) || errors.Is(err, ErrNotApplicable) || errors.Is(err, ErrNoSuchUnit)
}

// add puts a job of type t for unit into the transaction, needed by job by (nil for the
// anchor), and pulls in what it requires.
func (tr *transaction) add(t Type, unit string, by *job, flags addFlags) error {
	in := tr.info(unit)
	if t != Stop {
		if err := loadError(unit, in.Load); err != nil {
			return err
		}
	}
	if !tr.applicable(unit, in, t) {
		return &Error{CodeNotApplicable, fmt.Sprintf("Job type %s is not applicable for unit %s.", t, unit)}
	}
	j, isNew := tr.addOne(t, unit)
	if flags&addIgnoreOrder != 0 {
		j.ignoreOrder = true
	}
	if by != nil {
		tr.newLink(by, j, flags&addMatters != 0, flags&addConflicts != 0)
	} else {
		tr.anchor = j
		j.refuseLateMerge = flags&addReenqueueAnchor != 0
	}
	if !isNew || flags&addIgnoreRequirements != 0 || t == Nop {
		return nil
	}
	keep := flags & addIgnoreOrder
	g := tr.q.g

	// required: a failure to add fails this job too, unless the job type simply does
	// not apply to that unit.
	required := func(nt Type, deps []string, f addFlags) error {
		for _, d := range deps {
			if err := tr.add(nt, d, j, f); err != nil && !errors.Is(err, ErrNotApplicable) {
				tr.deleteJob(j, false)
				return err
			}
		}
		return nil
	}
	ignored := func(nt Type, deps []string, f addFlags) {
		for _, d := range deps {
			if err := tr.add(nt, d, j, f); err != nil && !quietError(err) {
				tr.eff.logf(d, "Cannot add dependency job, ignoring: %v", err)
			}
		}
	}

	if t == Start || t == Restart {
		if err := required(Start, tr.q.union(unit, Requires, BindsTo), addMatters|keep); err != nil {
			return err
		}
		ignored(Start, tr.q.union(unit, Wants, Upholds), keep)
		if err := required(VerifyActive, g.Deps(unit, Requisite), addMatters|keep); err != nil {
			return err
		}
		if err := required(Stop, g.Deps(unit, Conflicts), addMatters|addConflicts|keep); err != nil {
			return err
		}
		for _, d := range g.Deps(unit, ConflictedBy) {
			if err := tr.add(Stop, d, j, keep); err != nil {
				tr.eff.logf(d, "Cannot add dependency job, ignoring: %v", err)
			}
		}
	}

	if t == Stop || t == Restart || (t == Start && flags&addStartAsRestart != 0) {
		// A restart reaches the units that need this one only as try-restart, so that
		// units that are not running are not started.
		for _, d := range tr.q.union(unit, RequiredBy, RequisiteOf, BoundBy, ConsistsOf) {
			nt := Stop
			if t != Stop {
				nt = TryRestart
			}
			nt = Collapse(nt, tr.info(d).State)
			if nt == Nop {
				continue
			}
			if err := tr.add(nt, d, j, addMatters|keep); err != nil && !errors.Is(err, ErrNotApplicable) {
				return err
			}
		}
		// PropagatesStopTo= is handled once everything else is in, from the anchor (or
		// within its own recursion), so that it can see the other jobs on the unit.
		if by == nil || flags&addStopGraceful != 0 {
			for _, d := range g.Deps(unit, PropagatesStopTo) {
				nt := stopGraceful(tr.jobs[d])
				if nt == Nop {
					continue
				}
				if err := tr.add(nt, d, j, addMatters|keep|addStopGraceful); err != nil && !errors.Is(err, ErrNotApplicable) {
					return err
				}
			}
		}
	}

	if t == Reload {
		for _, d := range g.Deps(unit, PropagatesReloadTo) {
			nt := Collapse(TryReload, tr.info(d).State)
			if nt == Nop {
				continue
			}
			if err := tr.add(nt, d, j, keep); err != nil {
				tr.eff.logf(d, "Cannot add dependency reload job, ignoring: %v", err)
			}
		}
	}
	return nil
}

// stopGraceful picks the job PropagatesStopTo= adds to a unit that already has jobs
// f: none if it is stopped or restarted anyway, a restart if it is being started (a
// stop would conflict), a stop otherwise.
func stopGraceful(f *job) Type {
	t := Stop
	for i := f; i != nil; i = i.trNext {
		switch i.typ {
		case Stop, Restart:
			return Nop
		case Start:
			t = Restart
		}
	}
	return t
}

// shallStopOnIsolate tells whether isolating stops unit.
func (tr *transaction) shallStopOnIsolate(unit string, in Info) bool {
	if in.IgnoreOnIsolate || tr.jobs[unit] != nil {
		return false
	}
	// Keep units triggered by units that stay.
	for _, other := range tr.q.g.Deps(unit, TriggeredBy) {
		oi := tr.info(other)
		if oi.State.InactiveOrDeactivating() {
			continue
		}
		oj := tr.jobs[other]
		stopping := false
		for k := oj; k != nil; k = k.trNext {
			if k.typ == Stop {
				stopping = true
				break
			}
		}
		if stopping {
			continue
		}
		if oi.IgnoreOnIsolate || oj != nil {
			return false
		}
	}
	return true
}

func (tr *transaction) addIsolateJobs() {
	for _, u := range tr.q.g.Units() {
		in := tr.info(u)
		if in.State.InactiveOrFailed() && tr.q.unitJob[u] == nil {
			continue
		}
		if !tr.shallStopOnIsolate(u, in) {
			continue
		}
		if err := tr.add(Stop, u, tr.anchor, addMatters); err != nil {
			tr.eff.logf(u, "Cannot add isolate job, ignoring: %v", err)
		}
	}
}

func (tr *transaction) addTriggeringJobs(unit string) {
	for _, t := range tr.q.g.Deps(unit, TriggeredBy) {
		if tr.info(t).State.InactiveOrFailed() && tr.q.unitJob[t] == nil {
			continue
		}
		if tr.jobs[t] != nil {
			continue
		}
		if err := tr.add(Stop, t, tr.anchor, addMatters); err != nil {
			tr.eff.logf(unit, "Cannot add triggered by job, ignoring: %v", err)
		}
	}
}
