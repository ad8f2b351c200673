package manager

import (
	"context"
	"fmt"
	"github.com/capsuled/capsuled/internal/logstore"
	"reflect"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/job"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// pathKind is a .path unit (systemd.path(5)): it watches paths with
// inotify and starts its unit while, or when, a condition on them holds.
type pathKind struct{ m *Manager }

func (pathKind) typeName() string { return "path" }

func (k pathKind) start(_ context.Context, u *Unit) error { return k.m.startPath(u) }

func (k pathKind) stop(_ context.Context, u *Unit) { k.m.stopPath(u) }

func (pathKind) cgroup(*Unit) string { return "" }

// pathWatch is a started path unit. Its transitions run under mu, which
// is taken before Manager.mu, never under it.
type pathWatch struct {
	m    *Manager
	u    *Unit
	conf *unitconf.Path
	mu   sync.Mutex
	// Below: guarded by mu.
	wds     []int32         // the watches this unit has in the shared instance
	primary map[int32][]int // watch descriptor of a condition's own path -> conditions
	// previous existence of each spec's path, for PathChanged=/PathModified=,
	// which fire when it changes.
	prevExists []bool
	limitBegin time.Time // the trigger limit's window
	limitN     uint
	done       bool // stopped or failed: no more transitions
}

// startPath checks the unit to trigger, creates the directories asked
// for, and enters waiting, or running at once when a condition holds.
func (m *Manager) startPath(u *Unit) error {
	conf := u.conf.Path
	t, err := m.load(conf.Unit)
	if err == nil {
		m.mu.Lock()
		if t.loadState != loadLoaded {
			err = fmt.Errorf("%s", t.loadState)
		}
		m.mu.Unlock()
	}
	if err != nil {
		m.logAt(u, logstore.PriorityErr, "%s: Refusing to start, unit %s to trigger not loaded.", u.name, conf.Unit)
		return fmt.Errorf("unit %s to trigger not loaded: %v", conf.Unit, err)
	}
	roots := m.pathRoots()
	for _, s := range conf.Specs {
		if _, _, ok := confine(roots, s.Path); !ok {
			m.logf(u, "%s: refusing to watch %s: outside the directories the capsule may write", u.name, s.Path)
			m.fail(u, resultResources)
			return fmt.Errorf("start %s: %s is outside the directories the capsule may write (%s)", u.name, s.Path, roots)
		}
	}
	w := &pathWatch{m: m, u: u, conf: conf, prevExists: make([]bool, len(conf.Specs))}
	if conf.MakeDirectory {
		for _, s := range conf.Specs {
			if s.Type == "PathExists" || s.Type == "PathExistsGlob" {
				continue
			}
			if err := makeDirBeneath(roots, s.Path, conf.DirectoryMode); err != nil {
				m.logf(u, "%s: mkdir(%s) failed: %v", u.name, s.Path, err)
			}
		}
	}
	m.mu.Lock()
	u.path = w
	u.result = resultSuccess
	u.invocation = newInvocationID()
	m.mu.Unlock()
	if err := m.paths.register(m, conf.Unit, w); err != nil {
		m.mu.Lock()
		u.path = nil
		m.mu.Unlock()
		m.fail(u, resultResources)
		return fmt.Errorf("start %s: %w", u.name, err)
	}
	w.mu.Lock()
	w.enterWaiting(true, false)
	w.mu.Unlock()
	return nil
}

// stopPath ends the watch; the unit is inactive, or stays failed.
func (m *Manager) stopPath(u *Unit) {
	m.mu.Lock()
	w := u.path
	u.path = nil
	m.mu.Unlock()
	if w != nil {
		w.mu.Lock()
		w.end()
		w.mu.Unlock()
	}
	m.mu.Lock()
	u.setState(stateInactive, subDead)
	m.mu.Unlock()
}

// end releases the watch. Callers hold w.mu.
func (w *pathWatch) end() {
	if w.done {
		return
	}
	w.done = true
	w.m.paths.unwatch(w)
	w.m.paths.unregister(w.conf.Unit, w)
}

// setState moves the path unit to waiting or running. Callers hold w.mu.
func (w *pathWatch) setState(sub SubState) {
	w.m.mu.Lock()
	if w.u.path == w {
		w.u.setState(stateActive, sub)
	}
	w.m.mu.Unlock()
}

// enterDead fails the unit with result r (systemd's path_enter_dead).
// Callers hold w.mu.
func (w *pathWatch) enterDead(r Result) {
	w.end()
	w.m.mu.Lock()
	own := w.u.path == w
	if own {
		w.u.path = nil
		if w.u.result == resultSuccess {
			w.u.result = r
		}
		r = w.u.result
	}
	w.m.mu.Unlock()
	if !own {
		return
	}
	w.m.logAt(w.u, logstore.PriorityWarning, "%s: Failed with result '%s'.", w.u.name, r)
	w.m.mu.Lock()
	w.u.setState(stateFailed, subFailed)
	w.m.mu.Unlock()
}

// triggerState is the triggered unit's state, whether its start limit
// refused its last start, and whether it has a job.
func (w *pathWatch) triggerState() (active ActiveState, limitHit, hasJob bool) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	t := w.m.units[w.conf.Unit]
	if t == nil {
		return stateInactive, false, false
	}
	_, hasJob = w.m.unitJobLocked(t.name)
	if t.conf != nil && limitsStarts(t.kind) {
		l, sw := t.conf.Unit.StartLimit, t.startWindow
		limitHit = t.active == stateFailed && l.Interval > 0 && l.Burst > 0 && sw.n > l.Burst &&
			time.Since(sw.begin) <= l.Interval
	}
	return t.active, limitHit, hasJob
}

// enterWaiting checks the conditions and watches the paths until one
// holds; while the triggered unit runs, the path unit runs with it and
// watches nothing. initial is the start; fromTrigger a change of the
// triggered unit. Callers hold w.mu.
func (w *pathWatch) enterWaiting(initial, fromTrigger bool) {
	if w.done {
		return
	}
	if active, _, _ := w.triggerState(); !active.isInactiveOrFailed() {
		w.m.paths.unwatch(w)
		w.setState(subRunning)
		return
	}
	if p, ok := w.checkGood(initial, fromTrigger); ok {
		w.enterRunning(p)
		return
	}
	if err := w.watch(); err != nil {
		w.m.logf(w.u, "%s: %v", w.u.name, err)
		w.enterDead(resultResources)
		return
	}
	// The paths may have changed before the watches were in place.
	if p, ok := w.checkGood(false, fromTrigger); ok {
		w.enterRunning(p)
		return
	}
	w.setState(subWaiting)
}

// enterRunning starts the triggered unit, unless the trigger limit is
// hit. Callers hold w.mu.
func (w *pathWatch) enterRunning(trigger string) {
	if w.done {
		return
	}
	if !w.allowTrigger(time.Now()) {
		w.m.logAt(w.u, logstore.PriorityWarning, "%s: Trigger limit hit, refusing further activation.", w.u.name)
		w.enterDead(resultTriggerLimitHit)
		return
	}
	// The triggered unit learns what triggered it (TRIGGER_UNIT=,
	// TRIGGER_PATH=).
	if t, err := w.m.load(w.conf.Unit); err == nil {
		w.m.mu.Lock()
		t.activationEnv = []string{"TRIGGER_UNIT=" + w.u.name, "TRIGGER_PATH=" + trigger}
		w.m.mu.Unlock()
	}
	_, wait, err := w.m.Enqueue(JobRequest{Unit: w.conf.Unit, Type: job.Start, Mode: job.Replace})
	if err != nil {
		w.m.logAt(w.u, logstore.PriorityWarning, "%s: Failed to queue unit startup job: %s", w.u.name, cleanMessage(err))
		w.enterDead(resultResources)
		return
	}
	w.m.paths.unwatch(w)
	w.primary = nil
	w.setState(subRunning)
	// A job that ends without a state change of the unit (a condition
	// not met) must bring the path unit back to waiting too.
	go func() {
		wait(context.Background())
		w.triggerChanged()
	}()
}

// allowTrigger counts an activation against TriggerLimitIntervalSec= and
// TriggerLimitBurst=. Callers hold w.mu.
func (w *pathWatch) allowTrigger(now time.Time) bool {
	iv, burst := w.conf.TriggerLimitInterval, w.conf.TriggerLimitBurst
	if iv <= 0 || burst == 0 {
		return true
	}
	if w.limitBegin.IsZero() || now.Sub(w.limitBegin) > iv {
		w.limitBegin, w.limitN = now, 1
		return true
	}
	if w.limitN < burst {
		w.limitN++
		return true
	}
	return false
}

// triggerChanged follows the triggered unit (systemd's
// path_trigger_notify): once it is down the conditions are checked again,
// so a path unit triggers again while its condition holds.
func (w *pathWatch) triggerChanged() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	active, limitHit, hasJob := w.triggerState()
	if limitHit {
		w.enterDead(resultUnitStartLimitHit)
		return
	}
	if hasJob {
		return
	}
	w.m.mu.Lock()
	sub := w.u.sub
	w.m.mu.Unlock()
	switch {
	case sub == subRunning && active.isInactiveOrFailed():
	case sub == subWaiting && !active.isInactiveOrFailed():
	default:
		return
	}
	w.enterWaiting(false, true)
}

// inotified handles one batch of events read from the watches.
func (w *pathWatch) inotified(evs []inotifyEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	w.m.mu.Lock()
	sub := w.u.sub
	w.m.mu.Unlock()
	if sub != subWaiting {
		return
	}
	// PathChanged= and PathModified= fire on an event of the path itself
	// (or, for a directory, of what is in it); every other event only
	// makes the conditions be checked again.
	for _, e := range evs {
		for _, i := range w.primary[e.wd] {
			if t := w.conf.Specs[i].Type; t == "PathChanged" || t == "PathModified" {
				w.enterRunning(w.conf.Specs[i].Path)
				return
			}
		}
	}
	w.enterWaiting(false, false)
}

// reload takes a daemon-reload's configuration: a waiting unit watches
// the new paths at once; a running one when its unit is done.
func (w *pathWatch) reload() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m.mu.Lock()
	conf, sub := w.u.conf.Path, w.u.sub
	w.m.mu.Unlock()
	if w.done || conf == nil || conf == w.conf {
		return
	}
	old := w.conf
	w.conf = conf
	if reflect.DeepEqual(*old, *conf) {
		return
	}
	if conf.Unit != old.Unit {
		w.m.paths.unregister(old.Unit, w)
		if err := w.m.paths.register(w.m, conf.Unit, w); err != nil {
			w.m.logf(w.u, "%s: %v", w.u.name, err)
			w.enterDead(resultResources)
			return
		}
	}
	// A condition kept keeps what it knew of its path (as systemd keeps
	// it over a reload), a new one starts from what is there now.
	prev := make([]bool, len(conf.Specs))
	for i, sp := range conf.Specs {
		if j := slices.Index(old.Specs, sp); j >= 0 {
			prev[i] = w.prevExists[j]
		} else {
			prev[i] = existsIn(w.m.pathRoots(), sp.Path)
		}
	}
	w.prevExists = prev
	if sub == subWaiting {
		w.enterWaiting(false, false)
	}
}

// pathRegistry is what the manager's path units share: one subscription
// to the manager's feed, which tells them about the units they trigger,
// and one inotify instance, whose events it hands to the units watching.
// A file watched by several units has one watch, for all their events;
// each unit gets those it asked for.
type pathRegistry struct {
	mu        sync.Mutex
	byTrigger map[string][]*pathWatch
	sub       *subscription
	ino       *inotify
	byWd      map[int32]map[*pathWatch]uint32
	// addWatch, if set, stands for the inotify instance's add (tests give
	// it the kernel's errors, such as running out of watches).
	addWatch func(fd int, mask uint32) (int32, error)
}

func (r *pathRegistry) register(m *Manager, trigger string, w *pathWatch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ino == nil {
		ino, err := newInotify()
		if err != nil {
			return err
		}
		r.ino, r.byWd = ino, map[int32]map[*pathWatch]uint32{}
		go r.readEvents(ino)
	}
	if r.byTrigger == nil {
		r.byTrigger = map[string][]*pathWatch{}
	}
	r.byTrigger[trigger] = append(r.byTrigger[trigger], w)
	if r.sub == nil {
		r.sub = m.events.subscribe()
		go r.dispatch(r.sub)
	}
	return nil
}

func (r *pathRegistry) unregister(trigger string, w *pathWatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byTrigger[trigger] = slices.DeleteFunc(r.byTrigger[trigger], func(o *pathWatch) bool { return o == w })
	if len(r.byTrigger[trigger]) == 0 {
		delete(r.byTrigger, trigger)
	}
	if len(r.byTrigger) == 0 {
		if r.sub != nil {
			r.sub.close()
			r.sub = nil
		}
		if r.ino != nil {
			r.ino.close()
			r.ino, r.byWd = nil, nil
		}
	}
}

// watch adds w's watch of the file fd refers to, for mask.
func (r *pathRegistry) watch(w *pathWatch, fd int, mask uint32) (int32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ino == nil {
		return -1, unix.EBADF
	}
	add := r.ino.add
	if r.addWatch != nil {
		add = r.addWatch
	}
	wd, err := add(fd, mask)
	if err != nil {
		return -1, err
	}
	ws := r.byWd[wd]
	if ws == nil {
		ws = map[*pathWatch]uint32{}
		r.byWd[wd] = ws
	}
	if _, ok := ws[w]; !ok {
		w.wds = append(w.wds, wd)
	}
	ws[w] |= mask
	return wd, nil
}

// unwatch takes all of w's watches out; a file no unit watches any more
// loses its watch.
func (r *pathRegistry) unwatch(w *pathWatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, wd := range w.wds {
		ws := r.byWd[wd]
		if ws == nil {
			continue
		}
		delete(ws, w)
		if len(ws) == 0 {
			delete(r.byWd, wd)
			r.ino.remove(wd)
		}
	}
	w.wds = nil
}

// readEvents hands each batch of events to the units they concern, until
// the instance is closed.
func (r *pathRegistry) readEvents(ino *inotify) {
	for {
		evs, err := ino.read()
		if err != nil {
			return
		}
		batches := map[*pathWatch][]inotifyEvent{}
		r.mu.Lock()
		for _, e := range evs {
			switch {
			case e.wd < 0: // the queue overflowed: every unit checks again
				for _, ws := range r.byWd {
					for w := range ws {
						batches[w] = append(batches[w], e)
					}
				}
			case e.mask&unix.IN_IGNORED != 0: // the file is gone, and its watch
				delete(r.byWd, e.wd)
			default:
				for w, mask := range r.byWd[e.wd] {
					if e.mask&mask != 0 {
						batches[w] = append(batches[w], e)
					}
				}
			}
		}
		r.mu.Unlock()
		for w, b := range batches {
			w.inotified(b)
		}
	}
}

// dispatch tells the path units about state changes of what they trigger.
func (r *pathRegistry) dispatch(sub *subscription) {
	for {
		e, ok := sub.next(context.Background())
		if !ok {
			return
		}
		r.mu.Lock()
		ws := slices.Clone(r.byTrigger[e.Unit])
		r.mu.Unlock()
		for _, w := range ws {
			w.triggerChanged()
		}
	}
}

// pathOwnProperties are systemd's Path interface's, before the Unit
// interface's.
var pathOwnProperties = []string{"Unit", "Paths", "MakeDirectory", "DirectoryMode", "Result",
	"TriggerLimitIntervalUSec", "TriggerLimitBurst"}
