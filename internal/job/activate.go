package job

import "fmt"

// mattersToAnchor tells whether any job of the unit list starting at head matters.
func mattersToAnchor(head *job) bool {
	for j := head; j != nil; j = j.trNext {
		if j.matters {
			return true
		}
	}
	return false
}

// markMatters marks the jobs the anchor needs through links that all matter.
func markMatters(j *job, gen uint64) {
	j.matters = true
	j.gen = gen
	for _, l := range j.subjects {
		if !l.matters || l.object.gen == gen {
			continue
		}
		markMatters(l.object, gen)
	}
}

// minimizeImpact (mode fail) drops jobs the anchor does not need that would stop a
// running unit or reverse a queued job.
func (tr *transaction) minimizeImpact() {
rescan:
	for _, head := range tr.heads() {
		for j := head; j != nil; j = j.trNext {
			if j.matters {
				continue
			}
			stops := j.typ == Stop && tr.info(j.unit).State.ActiveOrActivating()
			uj := tr.q.unitJob[j.unit]
			changes := uj != nil && Conflicting(j.typ, uj.typ)
			if !stops && !changes {
				continue
			}
			tr.deleteJob(j, true)
			goto rescan
		}
	}
}

// dropRedundant removes the units whose jobs would all do nothing.
func (tr *transaction) dropRedundant() {
again:
	for _, j := range tr.heads() {
		keep := false
		for k := j; k != nil; k = k.trNext {
			uj := tr.q.unitJob[k.unit]
			if k == tr.anchor || !Redundant(k.typ, tr.info(k.unit).State) ||
				(uj != nil && Conflicting(k.typ, uj.typ)) {
				keep = true
				break
			}
		}
		if !keep {
			tr.deleteJob(j, false)
			goto again
		}
	}
}

// collectGarbage drops jobs nothing needs any more.
func (tr *transaction) collectGarbage() {
again:
	for _, j := range tr.heads() {
		if j == tr.anchor || len(j.objects) > 0 {
			continue
		}
		tr.deleteJob(j, true)
		goto again
	}
}

// verifyOrder looks for ordering cycles among the transaction's jobs and the installed
// ones and breaks one by deleting a job the anchor does not need (errAgain), or fails.
func (tr *transaction) verifyOrder() error {
	g := tr.q.nextGen()
	for _, j := range tr.heads() {
		if err := tr.verifyOrderOne(j, nil, g); err != nil {
			return err
		}
	}
	return nil
}

func (tr *transaction) verifyOrderOne(j, from *job, gen uint64) error {
	if j.gen == gen {
		if j.marker == nil {
			// Seen before and found free of cycles from here.
			return nil
		}
		// A cycle: walk back along the markers to j, noting the way and the first job
		// that may go.
		var path []*job
		var victim *job
		for k := from; k != nil; {
			path = append(path, k)
			if victim == nil && !k.installed && tr.jobs[k.unit] != nil && !mattersToAnchor(k) {
				victim = k
			}
			if k == j {
				break
			}
			if k.gen == gen && k.marker != k {
				k = k.marker
			} else {
				k = nil
			}
		}
		for i, k := range path {
			what := "dependency"
			if i == 0 {
				what = "ordering cycle"
			}
			tr.eff.logf(j.unit, "Found %s on %s", what, k)
		}
		if victim != nil {
			tr.eff.logf(j.unit, "Job %s deleted to break ordering cycle starting with %s", victim, j)
			tr.deleteUnit(victim.unit)
			return errAgain
		}
		tr.eff.logf(j.unit, "Unable to break cycle starting with %s", j)
		return &Error{CodeOrderIsCyclic, "Transaction order is cyclic. See system logs for details."}
	}

	// The marker points back to where we came from (to itself at the start).
	j.marker = from
	if from == nil {
		j.marker = j
	}
	j.gen = gen
	for _, d := range [...]Dependency{Before, After} {
		for _, u := range tr.q.g.Deps(j.unit, d) {
			o := tr.jobs[u]
			if o == nil {
				if o = tr.q.unitJob[u]; o == nil {
					continue
				}
			}
			// Follow only the edges along which j runs before o.
			if compare(j, o, d) >= 0 {
				continue
			}
			if err := tr.verifyOrderOne(o, j, gen); err != nil {
				return err
			}
		}
	}
	j.marker = nil
	return nil
}

func conflictedBy(j *job) bool {
	for _, l := range j.objects {
		if l.conflicts {
			return true
		}
	}
	return false
}

// deleteOneUnmergeable drops one of two jobs of the list at head that cannot be merged,
// preferring one the anchor does not need; false if both are needed.
func (tr *transaction) deleteOneUnmergeable(head *job) bool {
	for j := head; j != nil; j = j.trNext {
		for k := j.trNext; k != nil; k = k.trNext {
			if Mergeable(j.typ, k.typ) {
				continue
			}
			var d *job
			switch {
			case !j.matters && !k.matters:
				// Rather drop a stop than a start, unless the stop comes from a
				// Conflicts=, then the start goes.
				switch {
				case j.typ == Stop && conflictedBy(j):
					d = k
				case k.typ == Stop && conflictedBy(k):
					d = j
				case j.typ == Stop:
					d = j
				case k.typ == Stop:
					d = k
				default:
					d = j
				}
			case !j.matters:
				d = j
			case !k.matters:
				d = k
			default:
				return false
			}
			tr.deleteJob(d, true)
			return true
		}
	}
	return false
}

func (tr *transaction) ensureMergeable(matters bool) error {
	for _, j := range tr.heads() {
		if mattersToAnchor(j) != matters {
			continue
		}
		t := j.typ
		state := tr.info(j.unit).State
		for k := j.trNext; k != nil; k = k.trNext {
			if m, ok := MergeAndCollapse(t, k.typ, state); ok {
				t = m
				continue
			}
			if tr.deleteOneUnmergeable(j) {
				return errAgain
			}
			return &Error{CodeJobsConflicting, fmt.Sprintf(
				"Transaction contains conflicting jobs '%s' and '%s' for %s. Probably contradicting requirement dependencies configured.",
				t, k.typ, k.unit)}
		}
	}
	return nil
}

// mergeJobs leaves one job per unit, or fails if two needed jobs conflict.
func (tr *transaction) mergeJobs() error {
	if err := tr.ensureMergeable(true); err != nil {
		return err
	}
	if err := tr.ensureMergeable(false); err != nil {
		return err
	}
	for _, j := range tr.heads() {
		t := j.typ
		state := tr.info(j.unit).State
		for k := j.trNext; k != nil; k = k.trNext {
			t, _ = MergeAndCollapse(t, k.typ, state)
		}
		for k := j.trNext; k != nil; k = j.trNext {
			if k == tr.anchor {
				tr.mergeAndDelete(k, j, t)
				j = k
			} else {
				tr.mergeAndDelete(j, k, t)
			}
		}
	}
	return nil
}

// mergeAndDelete merges other into j as type t and deletes other.
func (tr *transaction) mergeAndDelete(j, other *job, t Type) {
	j.typ = t
	j.state = Waiting
	j.irreversible = j.irreversible || other.irreversible
	j.matters = j.matters || other.matters
	for _, l := range other.subjects {
		l.subject = j
	}
	j.subjects = append(j.subjects, other.subjects...)
	for _, l := range other.objects {
		l.object = j
	}
	j.objects = append(j.objects, other.objects...)
	other.subjects, other.objects = nil, nil
	tr.deleteJob(other, true)
}

// destructive refuses (mode fail, or against an irreversible job) a transaction that
// would replace a queued job.
func (tr *transaction) destructive(mode Mode) error {
	for _, j := range tr.heads() {
		uj := tr.q.unitJob[j.unit]
		if uj != nil && (mode == Fail || uj.irreversible) && Conflicting(uj.typ, j.typ) {
			return &Error{CodeDestructive, fmt.Sprintf(
				"Transaction for %s is destructive (%s has '%s' job queued, but '%s' is included in transaction).",
				tr.anchor, j.unit, uj.typ, j.typ)}
		}
	}
	return nil
}

// activate turns the transaction into installed jobs, as systemd: mark what the anchor
// needs, spare running units (mode fail), drop redundant jobs, collect garbage and
// break ordering cycles, merge, check against queued jobs, install.
func (tr *transaction) activate(mode Mode) ([]*job, error) {
	markMatters(tr.anchor, tr.q.nextGen())
	if mode == Fail {
		tr.minimizeImpact()
	}
	tr.dropRedundant()
	for {
		if mode != Isolate {
			tr.collectGarbage()
		}
		err := tr.verifyOrder()
		if err == nil {
			break
		}
		if err != errAgain {
			tr.eff.Log = append(tr.eff.Log, "Requested transaction contains an unfixable cyclic ordering dependency: "+err.Error())
			return nil, err
		}
	}
	for {
		err := tr.mergeJobs()
		if err == nil {
			break
		}
		if err != errAgain {
			tr.eff.Log = append(tr.eff.Log, "Requested transaction contains unmergeable jobs: "+err.Error())
			return nil, err
		}
		if mode != Isolate {
			tr.collectGarbage()
		}
	}
	tr.dropRedundant()
	if err := tr.destructive(mode); err != nil {
		tr.eff.Log = append(tr.eff.Log, "Requested transaction contradicts existing jobs: "+err.Error())
		return nil, err
	}
	return tr.apply(mode), nil
}

// apply installs the jobs, merging into or cancelling the ones already queued.
func (tr *transaction) apply(mode Mode) []*job {
	q := tr.q
	if mode == Isolate || mode == Flush {
		for _, j := range q.sortedJobs() {
			if tr.info(j.unit).IgnoreOnIsolate || tr.jobs[j.unit] != nil {
				continue
			}
			// Not recursive: no OnFailure= for the jobs of units being isolated away.
			q.finish(j, ResultCanceled, false, &tr.eff)
		}
	}
	var out []*job
	for _, j := range tr.heads() {
		delete(tr.jobs, j.unit)
		for len(j.subjects) > 0 {
			tr.freeLink(j.subjects[0])
		}
		for len(j.objects) > 0 {
			tr.freeLink(j.objects[0])
		}
		inst := q.install(j, &tr.eff)
		if j == tr.anchor {
			tr.anchor = inst
		}
		q.wake(inst)
		// A job merged with an ignore-dependencies one no longer holds others back.
		q.wakeNeighbours(inst.unit)
		q.startTimer(inst)
		out = append(out, inst)
	}
	return out
}
