package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// step is one measurement. round records one sample of each of its
// metrics; setup and teardown (optional) run once per build around all
// rounds, for state the rounds share, such as a capsule kept running.
type step struct {
	what            string
	setup, teardown func(*bench, context.Context) error
	round           func(*bench, context.Context) error
	// once: a single round, for measurements too long to repeat.
	once bool
	// currentOnly: the base build lacks what it measures.
	currentOnly bool
	// maxRounds, if above 0, caps the rounds of a long step.
	maxRounds int
}

// stepsFor lists the measurements the options ask for, in order.
func stepsFor(opts options) []step {
	units := step{what: fmt.Sprintf("a capsule with %d running units", runUnits), setup: (*bench).runUnitsSetup,
		round: (*bench).runningUnits, teardown: (*bench).runUnitsTeardown}
	timers := step{what: fmt.Sprintf("a capsule with %d armed timers", benchTimers), setup: (*bench).timersSetup,
		round: (*bench).timers, teardown: (*bench).timersTeardown, once: true}
	if opts.unitsOnly {
		return []step{units}
	}
	if opts.timersOnly {
		return []step{timers}
	}
	var steps []step
	if !opts.stormOnly {
		steps = []step{
			{what: "start, stop and clean of new capsules", round: (*bench).lifecycle},
			{what: "warm start", setup: (*bench).warmSetup, round: (*bench).warmStart, teardown: (*bench).warmTeardown},
			{what: "commands inside a capsule", setup: (*bench).inCapsuleSetup, round: (*bench).inCapsule,
				teardown: (*bench).inCapsuleTeardown},
			{what: "system manager query", round: (*bench).systemState},
			{what: "the capsule's bus", round: (*bench).bus},
			{what: "socket activation in a capsule", round: (*bench).sockets, currentOnly: true},
			{what: "batches of 20 capsules", round: (*bench).batches},
			{what: fmt.Sprintf("a capsule starting %d units", txUnits), setup: (*bench).txSetup,
				round: (*bench).transaction, teardown: (*bench).txTeardown},
			units,
			timers,
			{what: "floods from a capsule", round: (*bench).floods, once: true},
			{what: "the log store", setup: (*bench).logsSetup, round: (*bench).logs, teardown: (*bench).logsTeardown,
				currentOnly: true, maxRounds: logRounds},
			{what: "clean of a deep home", round: (*bench).deepHome, once: true},
		}
	}
	if opts.storm > 0 {
		steps = append(steps, step{what: fmt.Sprintf("a storm of %d capsules, %d per call", opts.storm, opts.stormBatch),
			round: (*bench).storm, once: true})
	}
	if opts.only == nil {
		return steps
	}
	var kept []step
	for _, s := range steps {
		if opts.only.MatchString(s.what) {
			kept = append(kept, s)
		}
	}
	return kept
}

// runSteps runs every step on every build and stops at the first
// failure; the results gathered until then stay in each bench. With two
// builds the rounds alternate between them, and so does which goes first
// (AB BA AB ...), so that drift of the machine's load, and whatever one
// build's round leaves for the next to pay (page cache, reclaim), falls on
// both alike.
func runSteps(ctx context.Context, sides []*bench, steps []step, n int, progress io.Writer) error {
	for i, s := range steps {
		rounds := n
		if s.once {
			rounds = 1
		}
		if s.maxRounds > 0 {
			rounds = min(rounds, s.maxRounds)
		}
		sides := sides
		if s.currentOnly {
			sides = sides[len(sides)-1:]
		}
		fmt.Fprintf(progress, "measuring %s (n=%d)\n", s.what, rounds)
		start := time.Now()
		if err := each(ctx, sides, s.setup); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		for r := range rounds {
			for _, b := range alternate(sides, i+r) {
				if err := s.round(b, ctx); err != nil {
					return fmt.Errorf("%s: %s: %w", s.what, b.label, err)
				}
			}
		}
		if err := each(ctx, sides, s.teardown); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		fmt.Fprintf(progress, "  took %.1f s\n", time.Since(start).Seconds())
	}
	return nil
}

func each(ctx context.Context, sides []*bench, f func(*bench, context.Context) error) error {
	if f == nil {
		return nil
	}
	for _, b := range sides {
		if err := f(b, ctx); err != nil {
			return fmt.Errorf("%s: %w", b.label, err)
		}
	}
	return nil
}

// alternate returns sides in their order for even k, reversed for odd k.
func alternate(sides []*bench, k int) []*bench {
	if k%2 == 0 {
		return sides
	}
	r := make([]*bench, len(sides))
	for i, b := range sides {
		r[len(sides)-1-i] = b
	}
	return r
}
