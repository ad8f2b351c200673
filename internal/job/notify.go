package job

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
		if err := q.enqueueAuto(Request{Unit: o, Type: Start, Mode: mode}, eff); err != nil {
			eff.logf(unit, "Failed to enqueue %s=%s job, ignoring: %v", d, o, err)
		}
	}
}

// UnitChanged tells the queue that unit went from state from to state to (the Graph
// already reports to). It finishes the unit's job if the new state means so (a start
// is done once the unit is active, failed if it failed while running; a stop once it
// is inactive; a reload once it is active again, reloadOK telling whether the reload
// worked), and returns what follows: OnSuccess= when the unit went inactive,
// OnFailure= when it failed (neither while Info.WillRestart), and for changes no
// job asked for, systemd's retroactive jobs (Requires=, BindsTo=, Upholds=, Wants=
// started and Conflicts= stopped when the unit became active; BindsTo= dependents
// and PropagatesStopTo= stopped when it went down).
func (q *Queue) UnitChanged(unit string, from, to ActiveState, reloadOK bool) Effects {
	return q.unitChanged(unit, from, to, reloadOK, true)
}

// UnitChangedBeforeAction is UnitChanged for a unit whose running job has
// not begun its action yet (the runner waits for the unit to finish what
// it does on its own, such as ending after RuntimeMaxSec=): the change may
// complete the job (a stop finds the unit down) but not fail it, since
// the job's action has not run. systemd, single-threaded, never sees this.
func (q *Queue) UnitChangedBeforeAction(unit string, from, to ActiveState) Effects {
	return q.unitChanged(unit, from, to, true, false)
}

func (q *Queue) unitChanged(unit string, from, to ActiveState, reloadOK, acting bool) Effects {
	var eff Effects
	unexpected := true
	if j := q.unitJob[unit]; j != nil {
		switch {
		case from == to && j.state == Running && (j.typ == Stop || j.typ == Restart):
			// A sub-state change alone (a timer elapsing while its stop
			// runs): systemd's stops are synchronous where this can
			// happen, so it never sees one; the stop goes on.
			unexpected = false
		case !acting && j.state == Running:
			if done := (j.typ == Stop && to.InactiveOrFailed()) ||
				((j.typ == Start || j.typ == VerifyActive) && to.ActiveOrReloading()); done {
				q.finish(j, ResultDone, true, &eff)
				unexpected = false
			}
		default:
			unexpected = q.processJob(j, to, reloadOK, &eff)
		}
	}
	if unexpected {
		switch {
		case from.InactiveOrFailed() && to.ActiveOrActivating():
			q.retroStart(unit, &eff)
		case from.ActiveOrActivating() && to.InactiveOrDeactivating():
			q.retroStop(unit, &eff)
		}
	}
	// A unit going down to be restarted (Restart=) has not ended for good:
	// OnSuccess=/OnFailure= wait for the state it ends in.
	switch {
	case q.info(unit).WillRestart:
	case to == UnitInactive && from != UnitFailed && from != UnitInactive && from != UnitMaintenance:
		q.onTermination(unit, OnSuccess, &eff)
	case to != from && to == UnitFailed:
		q.onTermination(unit, OnFailure, &eff)
	}
	q.submitOnChange(unit, to)
	return eff
}

func (q *Queue) processJob(j *job, to ActiveState, reloadOK bool, eff *Effects) bool {
	unexpected := false
	if j.state == Waiting {
		q.wake(j)
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
			_ = q.enqueueAuto(Request{Unit: o, Type: Start, Mode: Replace}, eff)
		}
	}
	for _, o := range q.g.Deps(unit, Wants) {
		if !q.after(unit, o) && !q.info(o).State.ActiveOrActivating() {
			_ = q.enqueueAuto(Request{Unit: o, Type: Start, Mode: Fail}, eff)
		}
	}
	for _, o := range q.union(unit, Conflicts, ConflictedBy) {
		if !q.info(o).State.InactiveOrDeactivating() {
			_ = q.enqueueAuto(Request{Unit: o, Type: Stop, Mode: Replace}, eff)
		}
	}
}

func (q *Queue) retroStop(unit string, eff *Effects) {
	for _, o := range q.union(unit, BoundBy, PropagatesStopTo) {
		if !q.info(o).State.InactiveOrDeactivating() {
			_ = q.enqueueAuto(Request{Unit: o, Type: Stop, Mode: Replace}, eff)
		}
	}
}
