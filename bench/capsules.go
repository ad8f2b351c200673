package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// capsules hands out capsule names unique to this benchmark and remembers
// which ones may still have a running manager or a home on disk, so that
// teardown touches only capsules this process created.
type capsules struct {
	ctl    ctl
	prefix string
	seq    int
	dirty  map[string]bool
}

func newCapsules(c ctl, prefix string) *capsules {
	return &capsules{ctl: c, prefix: prefix, dirty: map[string]bool{}}
}

func service(name string) string { return "capsule@" + name + ".service" }

// fresh returns a name never used before. It counts as dirty from the
// start: a start that fails half way may still leave a home behind.
func (cs *capsules) fresh(kind string) string {
	cs.seq++
	name := fmt.Sprintf("%s%s%d", cs.prefix, kind, cs.seq)
	cs.dirty[name] = true
	return name
}

func (cs *capsules) start(ctx context.Context, name string) (time.Duration, error) {
	return cs.ctl.timed(ctx, "start", service(name))
}

func (cs *capsules) stop(ctx context.Context, name string) (time.Duration, error) {
	return cs.ctl.timed(ctx, "stop", service(name))
}

// stopForRestart stops the capsule and resets its start rate limit
// (StartLimitBurst= starts in StartLimitIntervalSec=, as in systemd),
// which a benchmark starting one capsule in every round would otherwise
// hit. Only the stop is timed.
func (cs *capsules) stopForRestart(ctx context.Context, name string) (time.Duration, error) {
	d, err := cs.stop(ctx, name)
	if err != nil {
		return d, err
	}
	_, err = cs.ctl.run(ctx, "reset-failed", service(name))
	return d, err
}

// clean removes the capsule's directories; afterwards nothing of it is
// left to tear down.
func (cs *capsules) clean(ctx context.Context, name string) (time.Duration, error) {
	d, err := cs.ctl.timed(ctx, "clean", "--what=all", service(name))
	if err == nil {
		delete(cs.dirty, name)
	}
	return d, err
}

// cleanMany cleans several capsules with one call.
func (cs *capsules) cleanMany(ctx context.Context, names []string) error {
	args := []string{"clean", "--what=all"}
	for _, n := range names {
		args = append(args, service(n))
	}
	if _, err := cs.ctl.timed(ctx, args...); err != nil {
		return err
	}
	for _, n := range names {
		delete(cs.dirty, n)
	}
	return nil
}

// cleanup stops and cleans every capsule not cleaned yet. It carries on
// past failures so that one stuck capsule does not leave the others.
func (cs *capsules) cleanup(ctx context.Context) error {
	names := make([]string, 0, len(cs.dirty))
	for name := range cs.dirty {
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		if _, err := cs.stop(ctx, name); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := cs.clean(ctx, name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean up capsules: %w", err)
	}
	return nil
}
