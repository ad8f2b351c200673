package main

import (
	"context"
	"fmt"
	"time"
)

// The running-units step keeps runUnits long-running services active in
// one capsule and measures what its manager holds for them: threads (the
// engine must not spend one per child), descriptors and memory.
const (
	runUnits  = 200
	runPrefix = "br-"

	mRunUnitsActive  = "start capsule, 200 running units (all active)"
	mRunUnitsThreads = "capsule manager threads, 200 running units"
	mRunUnitsFDs     = "capsule manager open fds, 200 running units"
	mRunUnitsRSS     = "RSS capsuled --user, 200 running units"
	mRunUnitsPSS     = "PSS capsuled --user, 200 running units"
	mRunUnitsStop    = "stop capsule, 200 running units"
)

// runUnitsScript writes the services into the capsule's unit directory,
// each enabled for the target the capsule's manager starts.
func runUnitsScript() string {
	return fmt.Sprintf(`set -e
n=%[1]d p=%[2]s
d="$HOME/.config/systemd/user"
mkdir -p "$d/capsule@.target.wants"
cd "$d"
i=0
while [ $i -lt $n ]; do
	printf '[Unit]\nDescription=running unit %%s\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=capsule@.target\n' $i >"$p$i.service"
	ln -sf "../$p$i.service" "capsule@.target.wants/$p$i.service"
	i=$((i + 1))
done
`, runUnits, runPrefix)
}

// runUnitsSetup leaves a stopped capsule whose home holds the units.
func (b *bench) runUnitsSetup(ctx context.Context) error {
	b.unitsName = b.caps.fresh("ru")
	if _, err := b.caps.start(ctx, b.unitsName); err != nil {
		return err
	}
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", b.unitsName, "-P", "sh", "-c", runUnitsScript()); err != nil {
		return fmt.Errorf("write %d units into capsule %s: %w", runUnits, b.unitsName, err)
	}
	_, err := b.caps.stop(ctx, b.unitsName)
	return err
}

// runningUnits starts the capsule, waits for all its units to run, and
// measures its manager, then stops the capsule.
func (b *bench) runningUnits(ctx context.Context) error {
	start := time.Now()
	if _, err := b.caps.start(ctx, b.unitsName); err != nil {
		return err
	}
	if err := b.waitActive(ctx, b.unitsName, runPrefix, runUnits); err != nil {
		return err
	}
	b.record(mRunUnitsActive, "ms", ms(time.Since(start)))
	pid, err := b.idleManager(ctx, b.unitsName)
	if err != nil {
		return err
	}
	threads, fds, err := threadsAndFDs(pid)
	if err != nil {
		return err
	}
	b.record(mRunUnitsThreads, "count", float64(threads))
	b.record(mRunUnitsFDs, "count", float64(fds))
	if err := b.measureManager(pid, mRunUnitsRSS, mRunUnitsPSS); err != nil {
		return err
	}
	d, err := b.caps.stopForRestart(ctx, b.unitsName)
	if err != nil {
		return err
	}
	b.record(mRunUnitsStop, "ms", ms(d))
	return nil
}

func (b *bench) runUnitsTeardown(ctx context.Context) error {
	_, err := b.caps.clean(ctx, b.unitsName)
	return err
}

// waitActive polls the capsule's list-units until count units named
// prefix* are active. A failed unit ends the wait at once.
func (b *bench) waitActive(ctx context.Context, name, prefix string, count int) error {
	deadline := time.Now().Add(txTimeout)
	for {
		out, err := b.ctl.run(ctx, "-C", name, "-a", "list-units", prefix+"*")
		if err != nil {
			return err
		}
		states, err := parseUnitStates(out, prefix)
		if err != nil {
			return fmt.Errorf("list-units of capsule %s: %w", name, err)
		}
		active := 0
		for unit, st := range states {
			if st == "failed" {
				return fmt.Errorf("capsule %s: %s failed", name, unit)
			}
			if st == "active" {
				active++
			}
		}
		if active == count {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("capsule %s: %d of %d units active after %v", name, active, count, txTimeout)
		}
		if err := sleep(ctx, txPoll); err != nil {
			return err
		}
	}
}
