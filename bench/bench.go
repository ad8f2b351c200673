package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Metric names. Those with a counterpart in the systemd table are mapped
// to it in referenceName.
const (
	mStart        = "start capsule@NEW.service"
	mStop         = "stop capsule@NAME.service"
	mClean        = "clean --what=all capsule@NAME"
	mWarmStart    = "start capsule@OLD.service (warm)"
	mRunWait      = "run -C N --wait true"
	mRunPipe      = "run -C N -P true"
	mRunPty       = "pty(run -C N -t true)"
	mRunNoWait    = "run -C N true (no wait)"
	mCapsuleState = "-C N is-system-running"
	mSystemState  = "is-system-running (system)"
	mRSSFresh     = "RSS capsuled --user (fresh, idle)"
	mPSSFresh     = "PSS capsuled --user (fresh, idle)"
	mRSSAfter     = "RSS capsuled --user (after runs)"
	mPSSAfter     = "PSS capsuled --user (after runs)"
	mBatchStart   = "start 20 capsules sequentially (total)"
	mBatchRSS     = "sum RSS, 20 capsules (managers only)"
	mBatchPSS     = "sum PSS, 20 capsules (managers only)"
	mBatchStop    = "stop 20 capsules sequentially (total)"
	mOneCallStart = "start 20 capsules in one call"
	mOneCallStop  = "stop 20 capsules in one call"
)

const (
	// batchSize matches the systemd table's "20 capsules" rows.
	batchSize = 20
	// settle lets a manager finish start-up work (and the runtime its
	// first collections) before its memory counts as idle.
	settle = 500 * time.Millisecond
)

// bench measures one build: its own system manager, capsulectl and
// capsules, and the results gathered from them.
type bench struct {
	label      string // "current" or "base REV"
	bin        string // directory of its capsuled and capsulectl
	runtimeDir string // of the system manager under test
	ctl        ctl
	caps       *capsules
	sys        *systemManager
	progress   io.Writer
	results    []result
	// stormTotal capsules, stormBatch per call, for the storm; 0 skips it.
	stormTotal, stormBatch int

	// Capsules kept from a step's setup through its rounds.
	warmName, runName, txName, unitsName string
	timersName                           string
	runPID                               int
	logTailName, logFloodName            string
	logSeq                               int // rounds of the log step so far
	// logResults are the log store's rows, reported in a table of their own.
	logResults []result
}

func (b *bench) record(metric, unit string, v float64) {
	for i := range b.results {
		if b.results[i].name == metric {
			b.results[i].values = append(b.results[i].values, v)
			return
		}
	}
	b.results = append(b.results, result{name: metric, unit: unit, values: []float64{v}})
}

func (b *bench) recordMemory(rssMetric, pssMetric string, m memory) {
	b.record(rssMetric, "KiB", m.rss)
	b.record(pssMetric, "KiB", m.pss)
}

// lifecycle takes a new capsule through start, stop and clean, timing
// every step on its own.
func (b *bench) lifecycle(ctx context.Context) error {
	steps := []struct {
		metric string
		op     func(context.Context, string) (time.Duration, error)
	}{
		{mStart, b.caps.start},
		{mStop, b.caps.stop},
		{mClean, b.caps.clean},
	}
	name := b.caps.fresh("new")
	for _, s := range steps {
		d, err := s.op(ctx, name)
		if err != nil {
			return err
		}
		b.record(s.metric, "ms", ms(d))
	}
	return nil
}

// warmSetup leaves a stopped capsule whose home exists; warmStart times
// starting it, which skips creating the state directory.
func (b *bench) warmSetup(ctx context.Context) error {
	b.warmName = b.caps.fresh("old")
	return b.startStop(ctx, b.warmName)
}

func (b *bench) warmStart(ctx context.Context) error {
	d, err := b.caps.start(ctx, b.warmName)
	if err != nil {
		return err
	}
	b.record(mWarmStart, "ms", ms(d))
	_, err = b.caps.stopForRestart(ctx, b.warmName)
	return err
}

func (b *bench) warmTeardown(ctx context.Context) error {
	_, err := b.caps.clean(ctx, b.warmName)
	return err
}

func (b *bench) startStop(ctx context.Context, name string) error {
	if _, err := b.caps.start(ctx, name); err != nil {
		return err
	}
	_, err := b.caps.stop(ctx, name)
	return err
}

// inCapsuleSetup starts the capsule whose manager answers the commands
// of inCapsule, and measures that manager's memory before them;
// inCapsuleTeardown measures it again after them.
func (b *bench) inCapsuleSetup(ctx context.Context) error {
	b.runName = b.caps.fresh("run")
	if _, err := b.caps.start(ctx, b.runName); err != nil {
		return err
	}
	pid, err := b.idleManager(ctx, b.runName)
	if err != nil {
		return err
	}
	b.runPID = pid
	return b.measureManager(pid, mRSSFresh, mPSSFresh)
}

func (b *bench) inCapsuleTeardown(ctx context.Context) error {
	after, err := b.idleManager(ctx, b.runName)
	if err != nil {
		return err
	}
	if after != b.runPID {
		return fmt.Errorf("manager of capsule %s changed from pid %d to %d during the runs", b.runName, b.runPID, after)
	}
	if err := b.measureManager(after, mRSSAfter, mPSSAfter); err != nil {
		return err
	}
	if _, err := b.caps.stop(ctx, b.runName); err != nil {
		return err
	}
	_, err = b.caps.clean(ctx, b.runName)
	return err
}

// idleManager waits for the manager of capsule name to settle and
// returns its pid.
func (b *bench) idleManager(ctx context.Context, name string) (int, error) {
	if err := sleep(ctx, settle); err != nil {
		return 0, err
	}
	return b.ctl.mainPID(ctx, service(name))
}

func (b *bench) measureManager(pid int, rssMetric, pssMetric string) error {
	m, err := readMemory(pid)
	if err != nil {
		return err
	}
	b.recordMemory(rssMetric, pssMetric, m)
	return nil
}

// inCapsule times each command answered by one capsule's manager once.
func (b *bench) inCapsule(ctx context.Context) error {
	name := b.runName
	cmds := []struct {
		metric string
		pty    bool
		args   []string
	}{
		{mRunWait, false, []string{"run", "-C", name, "--wait", "true"}},
		{mRunPipe, false, []string{"run", "-C", name, "-P", "true"}},
		{mRunPty, true, []string{"run", "-C", name, "-t", "true"}},
		{mRunNoWait, false, []string{"run", "-C", name, "true"}},
		{mCapsuleState, false, []string{"-C", name, "is-system-running"}},
	}
	for _, c := range cmds {
		timed := b.ctl.timed
		if c.pty {
			timed = b.ctl.timedPty
		}
		d, err := timed(ctx, c.args...)
		if err != nil {
			return err
		}
		b.record(c.metric, "ms", ms(d))
	}
	return nil
}

func (b *bench) systemState(ctx context.Context) error {
	d, err := b.ctl.timed(ctx, "is-system-running")
	if err != nil {
		return err
	}
	b.record(mSystemState, "ms", ms(d))
	return nil
}

// batches starts batchSize new capsules one after the other, measures
// their managers together, and stops them one after the other; then
// as many with one call each.
func (b *bench) batches(ctx context.Context) error {
	names := make([]string, batchSize)
	for i := range names {
		names[i] = b.caps.fresh("b")
	}
	if err := b.batchRound(ctx, names); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := b.caps.clean(ctx, name); err != nil {
			return err
		}
	}
	return b.oneCallRound(ctx)
}

// oneCallRound starts batchSize new capsules with one capsulectl command,
// which queues all the jobs at once, and stops them the same way.
func (b *bench) oneCallRound(ctx context.Context) error {
	units := make([]string, batchSize)
	names := make([]string, batchSize)
	for i := range units {
		names[i] = b.caps.fresh("o")
		units[i] = service(names[i])
	}
	d, err := b.ctl.timed(ctx, append([]string{"start"}, units...)...)
	if err != nil {
		return err
	}
	b.record(mOneCallStart, "ms", ms(d))
	if d, err = b.ctl.timed(ctx, append([]string{"stop"}, units...)...); err != nil {
		return err
	}
	b.record(mOneCallStop, "ms", ms(d))
	for _, name := range names {
		if _, err := b.caps.clean(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) batchRound(ctx context.Context, names []string) error {
	d, err := timeEach(ctx, names, b.caps.start)
	if err != nil {
		return err
	}
	b.record(mBatchStart, "ms", ms(d))
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	var sum memory
	for _, name := range names {
		pid, err := b.ctl.mainPID(ctx, service(name))
		if err != nil {
			return err
		}
		m, err := readMemory(pid)
		if err != nil {
			return err
		}
		sum = sum.add(m)
	}
	b.recordMemory(mBatchRSS, mBatchPSS, sum)
	d, err = timeEach(ctx, names, b.caps.stop)
	if err != nil {
		return err
	}
	b.record(mBatchStop, "ms", ms(d))
	return nil
}

// timeEach applies op to every name in turn and returns the total time,
// including the gaps between the commands as a shell loop would.
func timeEach(ctx context.Context, names []string, op func(context.Context, string) (time.Duration, error)) (time.Duration, error) {
	start := time.Now()
	for _, name := range names {
		if _, err := op(ctx, name); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
