package job

import "time"

// enqueueAuto queues a job the engine asks for by itself and adds what followed to eff.
func (q *Queue) enqueueAuto(r Request, eff *Effects) error {
	res, err := q.Enqueue(r)
	eff.add(res.Effects)
	if err == nil {
		eff.Installed = append(eff.Installed, res.Anchor)
	}
	return err
}

// unitSet is a queue of units without duplicates, in the order they came.
type unitSet struct {
	list []string
	in   map[string]bool
}

func (s *unitSet) push(u string) {
	if s.in == nil {
		s.in = map[string]bool{}
	}
	if !s.in[u] {
		s.in[u] = true
		s.list = append(s.list, u)
	}
}

func (s *unitSet) pop() (string, bool) {
	if len(s.list) == 0 {
		return "", false
	}
	u := s.list[0]
	s.list = s.list[1:]
	delete(s.in, u)
	return u, true
}

// Systemd's limit on automatic starts and stops of one unit (StopWhenUnneeded=,
// Upholds=, BindsTo=), so that a unit that keeps failing is not started or stopped in
// a loop.
const (
	autoBurst    = 16
	autoInterval = 10 * time.Second
)

type rateLimit struct {
	begin time.Time
	n     int
	retry bool
}

// Submit asks for the unit's StopWhenUnneeded=, Upholds= and BindsTo= conditions to be
// checked at the next Dispatch, as after a daemon-reload changed its dependencies.
func (q *Queue) Submit(unit string) {
	q.unneeded.push(unit)
	q.upheld.push(unit)
	q.bound.push(unit)
}

// submitOnFinish: after a job of unit ended, whatever it was.
func (q *Queue) submitOnFinish(unit string) { q.Submit(unit) }

// submitOnChange: after unit changed state (systemd's unit_notify).
func (q *Queue) submitOnChange(unit string, to ActiveState) {
	switch {
	case to.InactiveOrFailed():
		for _, o := range q.union(unit, Requires, Requisite, Wants, BindsTo, Upholds) {
			q.unneeded.push(o)
		}
		for _, o := range q.g.Deps(unit, BoundBy) {
			q.bound.push(o)
		}
		q.upheld.push(unit)
	case to.ActiveOrReloading():
		for _, o := range q.g.Deps(unit, Upholds) {
			q.upheld.push(o)
		}
		q.unneeded.push(unit)
		q.bound.push(unit)
	}
}

// unneeded tells whether unit has StopWhenUnneeded= and nothing that needs it is
// active, transitioning, queued or about to restart.
func (q *Queue) unneededNow(unit string) bool {
	in := q.info(unit)
	if !in.StopWhenUnneeded || in.State != UnitActive || q.unitJob[unit] != nil {
		return false
	}
	for _, o := range q.union(unit, RequiredBy, RequisiteOf, WantedBy, BoundBy, UpheldBy) {
		oi := q.info(o)
		if q.unitJob[o] != nil || !oi.State.InactiveOrFailed() || oi.WillRestart {
			return false
		}
	}
	return true
}

// upheldBy returns an active unit that Upholds= the inactive unit, if any.
func (q *Queue) upheldBy(unit string) (string, bool) {
	if !q.info(unit).State.InactiveOrFailed() || q.unitJob[unit] != nil {
		return "", false
	}
	for _, o := range q.g.Deps(unit, UpheldBy) {
		if q.unitJob[o] == nil && q.info(o).State.ActiveOrReloading() {
			return o, true
		}
	}
	return "", false
}

// boundBy returns an inactive unit the active unit BindsTo=, if any.
func (q *Queue) boundTo(unit string) (string, bool) {
	if q.info(unit).State != UnitActive || q.unitJob[unit] != nil {
		return "", false
	}
	for _, o := range q.g.Deps(unit, BindsTo) {
		if q.unitJob[o] == nil && q.info(o).State.InactiveOrFailed() {
			return o, true
		}
	}
	return "", false
}

// allow applies the rate limit; when it holds the unit back, the unit is checked again
// once the interval is over (see NextDispatch).
func (q *Queue) allow(unit string) bool {
	if q.now == nil {
		return true
	}
	now := q.now()
	rl := q.limits[unit]
	if rl == nil {
		rl = &rateLimit{}
		q.limits[unit] = rl
	}
	if rl.begin.IsZero() || now.Sub(rl.begin) >= autoInterval {
		rl.begin, rl.n = now, 0
	}
	if rl.n < autoBurst {
		rl.n++
		return true
	}
	rl.retry = true
	return false
}

// NextDispatch returns when a unit held back by the rate limit on automatic starts and
// stops is due to be checked again by Dispatch.
func (q *Queue) NextDispatch() (time.Time, bool) {
	var at time.Time
	ok := false
	for _, rl := range q.limits {
		if rl.retry {
			if t := rl.begin.Add(autoInterval); !ok || t.Before(at) {
				at, ok = t, true
			}
		}
	}
	return at, ok
}

// Dispatch acts on the units whose state or jobs changed since the last call, as
// systemd's manager does when it has nothing else to do: it starts (mode fail) units an
// active unit Upholds=, stops (mode replace) active units bound to an inactive unit by
// BindsTo=, and stops (mode fail) units with StopWhenUnneeded= that nothing needs.
// Call it when the events at hand are processed.
func (q *Queue) Dispatch() Effects {
	var eff Effects
	if q.now != nil {
		now := q.now()
		for u, rl := range q.limits {
			if rl.retry && !now.Before(rl.begin.Add(autoInterval)) {
				rl.retry = false
				q.Submit(u)
			}
		}
	}
	for u, ok := q.upheld.pop(); ok; u, ok = q.upheld.pop() {
		by, yes := q.upheldBy(u)
		if !yes {
			continue
		}
		if !q.allow(u) {
			eff.logf(u, "Unit needs to be started because active unit %s upholds it, but not starting since we tried this too often recently. Will retry later.", by)
			continue
		}
		if err := q.enqueueAuto(Request{Unit: u, Type: Start, Mode: Fail}, &eff); err != nil {
			eff.logf(u, "Failed to enqueue start job, ignoring: %v", err)
		}
	}
	for u, ok := q.bound.pop(); ok; u, ok = q.bound.pop() {
		to, yes := q.boundTo(u)
		if !yes {
			continue
		}
		if !q.allow(u) {
			eff.logf(u, "Unit needs to be stopped because it is bound to inactive unit %s it, but not stopping since we tried this too often recently. Will retry later.", to)
			continue
		}
		if err := q.enqueueAuto(Request{Unit: u, Type: Stop, Mode: Replace}, &eff); err != nil {
			eff.logf(u, "Failed to enqueue stop job, ignoring: %v", err)
		}
	}
	for u, ok := q.unneeded.pop(); ok; u, ok = q.unneeded.pop() {
		if !q.unneededNow(u) {
			continue
		}
		if !q.allow(u) {
			eff.logf(u, "Unit not needed anymore, but not stopping since we tried this too often recently. Will retry later.")
			continue
		}
		if err := q.enqueueAuto(Request{Unit: u, Type: Stop, Mode: Fail}, &eff); err != nil {
			eff.logf(u, "Failed to enqueue stop job, ignoring: %v", err)
		}
	}
	return eff
}
