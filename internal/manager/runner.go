package manager

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/capsuled/capsuled/internal/job"
)

// The job runner: every start, stop and restart is a job in one queue
// (internal/job), which pulls in requirements, orders jobs by After=/Before=
// and decides what follows when a job or a unit's state ends. The runner
// hands runnable jobs to the unit's kind, one goroutine per job, feeds every
// state change back (through the event feed's synchronous hook) and acts on
// what the queue asks for: BindsTo=, PartOf=, Conflicts=, Upholds=,
// OnFailure=/OnSuccess=, StopWhenUnneeded=, JobTimeoutSec=, JobRunningTimeoutSec=. The queue and
// the graph are guarded by m.mu.

// jobWait is how a caller learns how a job ended.
type jobWait struct {
	done    chan struct{}
	result  job.Result
	err     error // what the unit's kind reported, if it failed
	pending bool  // failed while its kind still runs: woken by perform
}

// engineState is the runner's part of the Manager.
type engineState struct {
	q       *job.Queue
	graph   graph
	waits   map[uint32]*jobWait
	errs    map[uint32]error              // kind errors of running jobs
	cancels map[uint32]context.CancelFunc // of running start jobs
	perf    map[uint32]bool               // jobs whose kind action runs
	acting  map[uint32]bool               // of those, the ones holding their unit
	logs    []string
	printed []string // stored already; for the manager's stderr only
	wake    chan struct{}
	slots   chan struct{} // bounds the kinds' blocking set-up work
	started bool
}

func (m *Manager) initEngine() {
	m.graph.m = m
	m.q = job.NewQueue(&m.graph, time.Now)
	m.waits = map[uint32]*jobWait{}
	m.errs = map[uint32]error{}
	m.cancels = map[uint32]context.CancelFunc{}
	m.perf = map[uint32]bool{}
	m.acting = map[uint32]bool{}
	m.wake = make(chan struct{}, 1)
	m.slots = make(chan struct{}, actionSlots)
	m.events.sync = m.unitChangedLocked
}

// actionSlots is how many units at a time do the set-up that blocks in
// system calls (cgroups, directories, users, spawning). Jobs run in
// parallel, but each blocked system call holds an OS thread: without a
// bound, 200 units starting at once leave a manager with dozens of threads
// for good. Tear-down is not bounded: a stop of many capsules at once
// would wait for each one's release of its user.
const actionSlots = 4

// throttle takes one of the action slots; the result gives it back.
func (m *Manager) throttle() (release func()) {
	if m.slots == nil {
		return func() {}
	}
	m.slots <- struct{}{}
	return func() { <-m.slots }
}

// kick wakes the runner.
func (m *Manager) kick() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// ensureRunner starts the runner goroutine on first use; callers hold m.mu.
func (m *Manager) ensureRunnerLocked() {
	if !m.started {
		m.started = true
		go m.runner()
	}
}

// unitChangedLocked tells the queue about a state change; it runs under
// m.mu, inside setState, so a job ends in the same step as its unit's
// state.
func (m *Manager) unitChangedLocked(e Event) {
	if m.q == nil {
		return
	}
	var eff job.Effects
	reloadOK := e.unit == nil || e.unit.reloadResult == resultSuccess
	if j, ok := m.q.UnitJob(e.Unit); ok && j.State == job.Running && !m.acting[j.ID] {
		// The job waits for the unit to finish what it does by itself
		// (an end after RuntimeMaxSec=, say): that may complete the job,
		// not fail it before its action ran.
		eff = m.q.UnitChangedBeforeAction(e.Unit, jobState(e.Old), jobState(e.New))
	} else {
		eff = m.q.UnitChanged(e.Unit, jobState(e.Old), jobState(e.New), reloadOK)
	}
	m.absorbLocked(eff)
	m.kick() // the queue's dispatch looks at the change
}

// absorbLocked records what the queue did: finished jobs wake their
// callers, log lines wait for the runner, new jobs make it look again.
func (m *Manager) absorbLocked(eff job.Effects) {
	for _, f := range eff.Finished {
		if f.Result != job.ResultDone {
			if msg := socketDoneMessage(f.Job.Unit, job.DoneMessage(f.Job.Type, f.Result)); msg != "" {
				m.printed = append(m.printed, m.jobLineLocked(f.Job.Unit, msg, job.DoneLevel(f.Result)))
			}
		}
		if f.Result == job.ResultCanceled {
			if cancel := m.cancels[f.Job.ID]; cancel != nil {
				cancel() // a conflicting job took over; the kind stops soon
			}
		}
		if w := m.waits[f.Job.ID]; w != nil {
			w.result, w.err = f.Result, m.errs[f.Job.ID]
			if f.Result == job.ResultFailed && w.err == nil && m.perf[f.Job.ID] {
				// The kind's own error says more; perform passes it on.
				w.pending = true
			} else {
				delete(m.waits, f.Job.ID)
				close(w.done)
			}
		}
		delete(m.errs, f.Job.ID)
	}
	m.logs = append(m.logs, eff.Log...)
	if len(eff.Finished) > 0 || len(eff.Installed) > 0 || len(eff.Log) > 0 {
		m.kick()
	}
}

// runner starts the jobs the queue lets run, expires timed-out ones and
// runs the queue's dispatch (Upholds=, BindsTo=, StopWhenUnneeded=).
func (m *Manager) runner() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		m.mu.Lock()
		m.absorbLocked(m.q.Expire(time.Now()))
		if !m.stopping {
			m.absorbLocked(m.q.Dispatch())
		}
		for {
			runnable := m.q.Runnable()
			if len(runnable) == 0 {
				break
			}
			for _, j := range runnable {
				typ, eff, err := m.q.Run(j.ID)
				m.absorbLocked(eff)
				if err != nil || typ == job.Nop {
					continue
				}
				m.jobs++
				go m.perform(j, typ)
			}
		}
		next := time.Hour
		if _, at, ok := m.q.NextDeadline(); ok {
			next = min(next, time.Until(at))
		}
		if at, ok := m.q.NextDispatch(); ok {
			next = min(next, time.Until(at))
		}
		logs, printed := m.logs, m.printed
		m.logs, m.printed = nil, nil
		m.mu.Unlock()
		for _, l := range logs {
			m.logf(nil, "%s", l)
		}
		for _, l := range printed {
			m.printLog(l)
		}
		if len(logs)+len(printed) > 0 {
			continue // absorbing them may have queued more
		}
		timer.Reset(max(next, time.Millisecond))
		select {
		case <-m.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// perform does what job j asks of its unit's kind and reports the outcome
// the unit's state does not already tell.
func (m *Manager) perform(j job.Job, typ job.Type) {
	var kindErr error
	m.mu.Lock()
	u := m.units[j.Unit]
	m.perf[j.ID] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.perf, j.ID)
		if w := m.waits[j.ID]; w != nil && w.pending {
			w.err = kindErr
			delete(m.waits, j.ID)
			close(w.done)
		}
		m.jobs--
		if m.cfg.Mode == User {
			m.scheduleTrim()
		}
		m.mu.Unlock()
		m.kick()
	}()
	if u == nil {
		kindErr = fmt.Errorf("%w: unit %s not loaded", errNoSuchUnit, j.Unit)
		m.finishJob(j, typ, job.ResultFailed, kindErr)
		return
	}
	release := m.holdUnit(u)
	defer func() {
		m.mu.Lock()
		delete(m.acting, j.ID)
		m.mu.Unlock()
		release()
		m.collect(u)
	}()
	m.mu.Lock()
	cur, ok := m.q.Get(j.ID)
	m.acting[j.ID] = true
	m.mu.Unlock()
	if !ok || cur.State != job.Running {
		return // ended, or turned into another job, while waiting for the unit
	}
	switch typ {
	case job.Start:
		kindErr = m.performStart(j, typ, u)
	case job.Stop:
		u.kind.stop(context.Background(), u)
		m.mu.Lock()
		active := u.active
		m.mu.Unlock()
		r := job.ResultDone
		if !active.isInactiveOrFailed() {
			r = job.ResultFailed
		}
		m.finishJob(j, typ, r, nil)
	case job.Reload:
		if _, ok := u.kind.(serviceKind); ok && u.canReload() {
			// Its end (active again) ends the job, with ReloadResult=.
			m.reloadService(u)
		}
		m.finishJob(j, typ, job.ResultDone, nil)
	default:
		m.finishJob(j, typ, job.ResultDone, nil)
	}
}

func (m *Manager) performStart(j job.Job, typ job.Type, u *Unit) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.mu.Lock()
	m.cancels[j.ID] = cancel
	other, unbound := m.q.BoundToInactive(u.name)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.cancels, j.ID)
		m.mu.Unlock()
	}()
	if unbound {
		m.logf(u, "%s: Bound to unit %s, but unit isn't active.", u.name, other)
		m.finishJob(j, typ, job.ResultDependency, nil)
		return nil
	}
	if p, mnt := m.unmetMountsFor(u); mnt != "" {
		m.logf(u, "%s: RequiresMountsFor=%s needs %s, which /etc/fstab lists, mounted; capsuled mounts nothing.", u.name, p, mnt)
		m.finishJob(j, typ, job.ResultDependency, nil)
		return nil
	}
	skip, err := m.checkConditions(u)
	switch {
	case err != nil:
		m.finishJob(j, typ, job.ResultAssert, err)
		return err
	case skip:
		m.finishJob(j, typ, job.ResultDone, nil)
		return nil
	}
	m.mu.Lock()
	allowed := u.allowStartLocked(time.Now())
	m.mu.Unlock()
	if !allowed {
		err := m.hitStartLimit(u)
		m.finishJob(j, typ, job.ResultFailed, err)
		return err
	}
	err = u.kind.start(ctx, u)
	m.mu.Lock()
	active := u.active
	m.mu.Unlock()
	switch {
	case err == nil && active != stateActivating:
		m.finishJob(j, typ, job.ResultDone, nil)
	case err == nil:
		// Still starting: the state change ends the job.
	case ctx.Err() != nil:
		m.finishJob(j, typ, job.ResultCanceled, err)
	default:
		m.finishJob(j, typ, job.ResultFailed, err)
	}
	return err
}

// finishJob ends job j, for which the action typ ran, with r unless the
// unit's state change ended it already (or a restart's stop turned it into
// a start); err is what the caller is told.
func (m *Manager) finishJob(j job.Job, typ job.Type, r job.Result, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.q.Get(j.ID)
	if !ok || cur.State != job.Running {
		return
	}
	if action := cur.Type; action == job.Restart {
		if typ != job.Stop {
			return
		}
	} else if (typ == job.Stop) != (action == job.Stop) {
		return
	}
	if err != nil {
		m.errs[j.ID] = err
	}
	eff, _ := m.q.Finish(j.ID, r)
	m.absorbLocked(eff)
	delete(m.errs, j.ID)
}

// holdUnit waits until no other action runs on u and claims it: the kinds'
// start and stop, and a main process's own end, never overlap on one unit.
func (m *Manager) holdUnit(u *Unit) (release func()) {
	for {
		m.mu.Lock()
		if u.job == nil {
			ch := make(chan struct{})
			u.job = ch
			m.mu.Unlock()
			return func() {
				m.mu.Lock()
				u.job = nil
				m.settleConfigLocked(u)
				m.mu.Unlock()
				close(ch)
			}
		}
		ch := u.job
		m.mu.Unlock()
		<-ch
	}
}

// JobRequest asks for a job on a unit, as systemctl's verbs and
// --job-mode= do.
type JobRequest struct {
	Unit string
	Type job.Type
	Mode job.Mode
	// Manual is true for a user's request (RefuseManualStart= applies).
	Manual bool
	// ReloadIfPossible makes a restart a reload of a unit that can
	// reload (reload-or-restart).
	ReloadIfPossible bool
}

// Enqueue queues a job and its transaction and returns the anchor job's
// ID and a function that waits for its end. Requests the queue refuses
// change nothing.
func (m *Manager) Enqueue(r JobRequest) (uint32, func(context.Context) (job.Result, error), error) {
	unpin := m.pinLoads()
	defer unpin()
	if _, err := m.load(r.Unit); err != nil {
		if r.Type == job.Stop || r.Type == job.TryRestart {
			// Stopping what has no file is done; the queue says so.
			if !errors.Is(err, errNoSuchUnit) {
				return 0, nil, err
			}
		} else {
			return 0, nil, err
		}
	}
	m.loadClosure(r.Unit)
	m.mu.Lock()
	if m.stopping && r.Type != job.Stop {
		m.mu.Unlock()
		return 0, nil, fmt.Errorf("%w: manager is shutting down", errBusy)
	}
	m.ensureRunnerLocked()
	res, err := m.q.Enqueue(job.Request{Unit: r.Unit, Type: r.Type, Mode: r.Mode, Manual: r.Manual, ReloadIfPossible: r.ReloadIfPossible})
	m.absorbLocked(res.Effects)
	if err != nil {
		m.mu.Unlock()
		m.kick()
		return 0, nil, jobError(err)
	}
	id := res.Anchor.ID
	wait := m.waitLocked(id)
	m.mu.Unlock()
	m.kick()
	return id, wait, nil
}

// waitLocked returns a function that waits for job id's end; a job no
// longer installed ended "done" (nothing was to be done).
func (m *Manager) waitLocked(id uint32) func(context.Context) (job.Result, error) {
	w := m.waits[id]
	if w == nil {
		w = &jobWait{done: make(chan struct{})}
		if _, ok := m.q.Get(id); ok {
			m.waits[id] = w
		} else {
			w.result = job.ResultDone
			close(w.done)
		}
	}
	return func(ctx context.Context) (job.Result, error) {
		select {
		case <-w.done:
			return w.result, w.err
		case <-ctx.Done():
			return job.ResultCanceled, ctx.Err()
		}
	}
}

// jobError maps the queue's refusals to the engine's error kinds.
func jobError(err error) error {
	var je *job.Error
	if !errors.As(err, &je) {
		return err
	}
	// The queue's error stays in the chain: faces map its code.
	switch je.Code {
	case job.CodeNoSuchUnit:
		return fmt.Errorf("%w: %w", errNoSuchUnit, je)
	case job.CodeInvalidArgs:
		return fmt.Errorf("%w: %w", errInvalid, je)
	}
	return fmt.Errorf("%w: %w", errBusy, je)
}

// runJob enqueues a job and waits for its end, turning a result other than
// done into an error that says what happened, as systemctl does.
func (m *Manager) runJob(ctx context.Context, r JobRequest) error {
	_, wait, err := m.Enqueue(r)
	if err != nil {
		return err
	}
	res, err := wait(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return m.jobFailure(r, res, err)
}

// errJobFailed marks a job that ended with a result other than done.
var errJobFailed = errors.New("job failed")

// ErrJobFailed is returned when a job ended with a result other than done.
var ErrJobFailed = errJobFailed

func resultError(r JobRequest, res job.Result, err error) error {
	switch res {
	case job.ResultDone:
		return nil
	case job.ResultAssert:
		if err != nil {
			return err
		}
	case job.ResultFailed:
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: job for %s failed", errJobFailed, r.Unit)
	case job.ResultDependency:
		return fmt.Errorf("%w: a dependency job for %s failed", errJobFailed, r.Unit)
	case job.ResultTimeout:
		return fmt.Errorf("%w: job for %s timed out", errJobFailed, r.Unit)
	case job.ResultCanceled:
		return fmt.Errorf("%w: %w: job for %s canceled", errJobFailed, ErrJobCanceled, r.Unit)
	case job.ResultSkipped:
		return fmt.Errorf("%w: %s is inactive", errJobFailed, r.Unit)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: job for %s ended with result %s", errJobFailed, r.Unit, strings.ToLower(res.String()))
}
